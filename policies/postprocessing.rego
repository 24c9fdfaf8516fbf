# The post-processing step for uploaded files (query `data.postprocessing.granted`, input of
# stage "pp": resource.name, resource.size, resource.url, user.*). A file passes when its name
# has an allowed extension, its content's sniffed type is allowed, the content agrees with the
# name, and it is not too large.
#
# `input.resource.mimetype` is a Leakwall extension: the type our post-processing step sniffed
# from the bytes. Without it the policy downloads the file and sniffs it, like oCIS.
package postprocessing

max_size := 100 * 1024 * 1024

default granted := false

granted if {
	data.utils.extension_allowed(input.resource.name)
	data.utils.mimetype_allowed(content_type)
	content_matches_name
	input.resource.size <= max_size
}

content_type := input.resource.mimetype

content_type := ocis.mimetype.detect(ocis.resource.download(input.resource.url)) if {
	not input.resource.mimetype
}

# Text passes under any allowed text name (a .csv or .md sniffs as text/plain).
content_matches_name if startswith(content_type, "text/")

# Anything else must be a type the name's extension belongs to: a renamed .exe is caught.
content_matches_name if {
	some ext in ocis.mimetype.extensions(content_type)
	data.utils.extension(input.resource.name) == ext
}
