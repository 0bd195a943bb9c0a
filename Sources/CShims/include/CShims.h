// CShims: the few C entry points Swift cannot call directly.
//
// - curl_easy_setopt / curl_easy_getinfo are variadic: Swift cannot call
//   C variadic functions, so each argument type gets a typed wrapper.
// - zlib's inflateInit2 is a macro that passes ZLIB_VERSION and sizeof(z_stream).
#ifndef DRD_CSHIMS_H
#define DRD_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <curl/curl.h>

// MARK: curl
CURLcode drd_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode drd_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode drd_curl_setopt_ptr(CURL *handle, CURLoption option, const void *value);
CURLcode drd_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
typedef size_t (*drd_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
CURLcode drd_curl_setopt_write_function(CURL *handle, drd_curl_data_cb cb);
CURLcode drd_curl_setopt_read_function(CURL *handle, drd_curl_data_cb cb);
CURLcode drd_curl_setopt_header_function(CURL *handle, drd_curl_data_cb cb);
CURLcode drd_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

// MARK: zlib
int drd_inflate_init_gzip(z_stream *stream);              // gzip only, windowBits 15+16

#endif
