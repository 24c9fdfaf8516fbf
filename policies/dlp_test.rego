package dlp_test

finding(detector, category) := {
	"detector": detector, "category": category, "confidence": 0.9, "start": 0, "end": 20,
}

message(channel, findings) := {"channel": {"name": channel}, "findings": findings}

test_clean_message_is_approved if {
	d := data.dlp.decision with input as message("general", [])
	d == {"allow": true, "action": "approve", "reasons": [], "notify": []}
}

test_credential_is_blocked_everywhere if {
	some channel in ["general", "finance"]
	d := data.dlp.decision with input as message(channel, [finding("aws_access_key", "credential")])
	d.allow == false
	d.action == "block"
	d.reasons == ["credential found: aws_access_key"]
	d.notify == ["#security-alerts"]
}

test_malware_is_blocked_everywhere if {
	some channel in ["general", "finance"]
	d := data.dlp.decision with input as message(channel, [finding("Win.Test.EICAR_HDB-1", "malware")])
	d.action == "block"
	d.reasons == ["malware found: Win.Test.EICAR_HDB-1"]
}

test_a_file_the_antivirus_could_not_scan_is_blocked if {
	d := data.dlp.decision with input as message("general", [finding("unscannable", "malware")])
	d.action == "block"
	d.reasons == ["not scanned by the antivirus"]
}

test_card_outside_finance_is_blocked if {
	d := data.dlp.decision with input as message("general", [finding("credit_card", "financial")])
	d.action == "block"
	d.reasons == ["payment card number outside a finance channel"]
}

test_card_in_finance_is_approved if {
	d := data.dlp.decision with input as message("finance", [finding("credit_card", "financial")])
	d.action == "approve"
}

test_finance_channels_extend_from_data if {
	d := data.dlp.decision with input as message("treasury", [finding("credit_card", "financial")])
		with data.leakwall.finance_channels as ["treasury"]
	d.action == "approve"
}

test_low_confidence_findings_are_ignored if {
	weak := object.union(finding("github_token", "credential"), {"confidence": 0.2})
	d := data.dlp.decision with input as message("general", [weak])
	d.action == "approve"
}

test_missing_findings_is_blocked if {
	d := data.dlp.decision with input as {"channel": {"name": "general"}}
	d.action == "block"
	d.reasons == ["malformed input: findings is not an array"]
}

test_every_reason_is_listed if {
	findings := [finding("credit_card", "financial"), finding("private_key", "credential")]
	d := data.dlp.decision with input as message("general", findings)
	count(d.reasons) == 2
}
