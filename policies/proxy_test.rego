package proxy_test

upload(method, path, name) := {
	"stage": "http",
	"request": {"method": method, "path": path},
	"resource": {"name": name},
	"user": {"username": "alice", "mail": "alice@example.com", "groups": ["staff"]},
}

test_put_pdf_over_webdav_is_granted if {
	data.proxy.granted with input as upload("PUT", "/remote.php/webdav/report.pdf", "report.pdf")
}

test_put_exe_over_webdav_is_denied if {
	not data.proxy.granted with input as upload("PUT", "/dav/spaces/1/setup.exe", "setup.exe")
}

test_extension_check_ignores_case if {
	data.proxy.granted with input as upload("PUT", "/webdav/REPORT.PDF", "REPORT.PDF")
}

test_tus_post_under_data_checks_the_name if {
	not data.proxy.granted with input as upload("POST", "/data", "payload.sh")
	data.proxy.granted with input as upload("POST", "/data", "notes.md")
}

test_upload_without_a_name_is_denied if {
	not data.proxy.granted with input as upload("PUT", "/dav/spaces/1/abc", "")
}

test_name_without_extension_is_denied if {
	not data.proxy.granted with input as upload("PUT", "/dav/files/alice/Makefile", "Makefile")
}

test_reads_and_other_paths_pass if {
	data.proxy.granted with input as upload("GET", "/dav/files/alice/setup.exe", "setup.exe")
	data.proxy.granted with input as upload("MKCOL", "/dav/files/alice/new", "")
	data.proxy.granted with input as upload("PUT", "/api/v1/settings", "settings.bin")
}

test_double_extension_uses_the_last_one if {
	not data.proxy.granted with input as upload("PUT", "/dav/x/invoice.pdf.exe", "invoice.pdf.exe")
}
