# Helpers shared by the proxy and post-processing policies: the allow-list of upload
# extensions and the checks built on it (after the oCIS example `utils` package).
package utils

# Extensions an upload may have. Compared case-insensitively (oCIS compares as written, so
# `REPORT.PDF` fails there; here it passes).
allowed_extensions := {
	# office documents
	".doc", ".docx", ".dot", ".dotx", ".xls", ".xlsx", ".xlt", ".xltx", ".ppt", ".pptx",
	".pps", ".ppsx", ".odt", ".ott", ".ods", ".ots", ".odp", ".otp", ".odg", ".rtf",
	".pdf", ".epub",
	# images
	".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".tif", ".tiff", ".webp",
	# audio and video
	".mp3", ".mp4", ".avi", ".wav", ".mov",
	# text and code
	".txt", ".md", ".csv", ".json", ".xml", ".html", ".css", ".js", ".py", ".java",
	".sql", ".log",
	# archives and mail
	".zip", ".eml", ".msg",
}

# The lower-cased extension of a file name, with its dot; undefined without one.
extension(name) := ext if {
	parts := split(lower(name), ".")
	count(parts) > 1
	last := parts[count(parts) - 1]
	last != ""
	ext := concat("", [".", last])
}

# A non-empty name whose extension is on the allow-list.
extension_allowed(name) if {
	name != ""
	extension(name) in allowed_extensions
}

# A MIME type with at least one extension on the allow-list.
mimetype_allowed(mime) if {
	some ext in ocis.mimetype.extensions(mime)
	ext in allowed_extensions
}

# The WebDAV path prefixes uploads go to.
dav_prefixes := ["/dav", "/remote.php/webdav", "/remote.php/dav", "/webdav"]

under_dav(path) if {
	some prefix in dav_prefixes
	startswith(path, prefix)
}
