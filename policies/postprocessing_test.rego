package postprocessing_test

file(name, mimetype, size) := {
	"stage": "pp",
	"resource": {"name": name, "mimetype": mimetype, "size": size, "url": "http://gateway/data/1"},
	"user": {"username": "alice"},
}

test_pdf_is_granted if {
	data.postprocessing.granted with input as file("report.pdf", "application/pdf", 1024)
}

test_csv_sniffed_as_text_is_granted if {
	data.postprocessing.granted with input as file("numbers.csv", "text/plain", 10)
}

test_renamed_executable_is_denied if {
	not data.postprocessing.granted with input as file("report.pdf", "application/x-elf", 1024)
}

test_type_that_disagrees_with_the_name_is_denied if {
	not data.postprocessing.granted with input as file("photo.png", "application/pdf", 1024)
}

test_disallowed_name_is_denied if {
	not data.postprocessing.granted with input as file("tool.exe", "application/pdf", 1024)
}

test_too_large_is_denied if {
	not data.postprocessing.granted with input as file("big.pdf", "application/pdf", 200 * 1024 * 1024)
}

test_sniffed_pdf_bytes_are_an_allowed_type if {
	# What the policy does without input.resource.mimetype: download, then sniff.
	# (regorus cannot mock a builtin with `with`, so the download is not exercised here.)
	mime := ocis.mimetype.detect("JVBERi0xLjQK")
	mime == "application/pdf"
	data.utils.mimetype_allowed(mime)
}
