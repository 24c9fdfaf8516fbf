# The proxy guard: every HTTP request passes here (query `data.proxy.granted`, input of
# stage "http": request.method, request.path, resource.name, user.*). Uploads must name a
# file whose extension is on the allow-list; everything else passes.
#
# Written default deny: `granted` is true only when a rule below proves it, so a failing
# builtin or a malformed input denies (the oCIS example defaults to true and is fail-open).
package proxy

default granted := false

# Not an upload: reads, MKCOL, PROPFIND, other paths.
granted if not is_upload

# An upload of an allowed file type. An empty name (the storage could not tell it) is denied.
granted if {
	is_upload
	data.utils.extension_allowed(input.resource.name)
}

# PUT of a file through WebDAV.
is_upload if {
	input.request.method == "PUT"
	data.utils.under_dav(input.request.path)
}

# POST creating an upload: WebDAV, or tus under /data.
is_upload if {
	input.request.method == "POST"
	upload_path(input.request.path)
}

upload_path(path) if data.utils.under_dav(path)

upload_path(path) if startswith(path, "/data")
