# Leakwall's DLP decision (query `data.dlp.decision`) on the findings of a scanned message or
# file: credentials and malware are blocked everywhere; payment card numbers are blocked
# outside a finance channel. The result is Leakwall's decision document
# `{"allow", "action", "reasons", "notify"}`.
#
# Input: `findings` (array of {detector, category, confidence, start, end}), `channel.name`.
package dlp

# Findings below this confidence are ignored.
min_confidence := 0.5

# Channels where card numbers are part of the work; a data document may add more under
# `leakwall.finance_channels`.
finance_channels contains c if some c in ["finance", "payments"]

finance_channels contains c if some c in data.leakwall.finance_channels

# Who hears about a block.
security_team := ["#security-alerts"]

credentials contains f.detector if {
	some f in input.findings
	f.category == "credential"
	f.confidence >= min_confidence
}

cards if {
	some f in input.findings
	f.detector == "credit_card"
	f.confidence >= min_confidence
}

in_finance_channel if input.channel.name in finance_channels

reasons contains sprintf("credential found: %s", [d]) if some d in credentials

reasons contains "payment card number outside a finance channel" if {
	cards
	not in_finance_channel
}

# The antivirus's findings (category `malware`): the detector is the signature name, or
# `unscannable` when the antivirus could not scan the file; both block, everywhere.
reasons contains sprintf("malware found: %s", [f.detector]) if {
	some f in input.findings
	f.category == "malware"
	f.detector != "unscannable"
}

reasons contains "not scanned by the antivirus" if {
	some f in input.findings
	f.category == "malware"
	f.detector == "unscannable"
}

# Default deny: input without a findings list is blocked, never approved.
reasons contains "malformed input: findings is not an array" if not is_array(input.findings)

decision := {"allow": true, "action": "approve", "reasons": [], "notify": []} if count(reasons) == 0

decision := {
	"allow": false,
	"action": "block",
	"reasons": sort(reasons),
	"notify": security_team,
} if count(reasons) > 0
