// CShims: the few C entry points Swift cannot call directly.
//
// - curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are variadic: Swift cannot call
//   C variadic functions, so each argument type gets a typed wrapper.
// - zlib's deflateInit2 / inflateInit2 are macros that pass ZLIB_VERSION and sizeof(z_stream).
// - CMSG_FIRSTHDR / CMSG_DATA / CMSG_SPACE / CMSG_LEN are macros needed for SCM_RIGHTS and
//   SO_PEERCRED (Control module).
#ifndef DRD_CSHIMS_H
#define DRD_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
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
typedef int (*drd_curl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                    curl_off_t ultotal, curl_off_t ulnow);
CURLcode drd_curl_setopt_xferinfo_function(CURL *handle, drd_curl_xferinfo_cb cb);
CURLcode drd_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode drd_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);

// MARK: zlib
int drd_deflate_init_gzip(z_stream *stream, int level);   // gzip wrapper, windowBits 15+16
int drd_inflate_init_gzip(z_stream *stream);              // gzip only, windowBits 15+16
int drd_inflate_init_auto(z_stream *stream);              // gzip or zlib, windowBits 15+32

// MARK: sockets (SCM_RIGHTS, SO_PEERCRED)
/// Sends `len` bytes and, if fd >= 0, one file descriptor as SCM_RIGHTS ancillary data.
ssize_t drd_send_with_fd(int sock, const void *buf, size_t len, int fd);
/// Receives up to `len` bytes; a descriptor passed with them is stored in *fd_out (else -1).
ssize_t drd_recv_with_fd(int sock, void *buf, size_t len, int *fd_out);
/// Reads SO_PEERCRED of a connected Unix socket. Returns 0 or -1 (errno set).
int drd_peer_credentials(int sock, pid_t *pid, uid_t *uid, gid_t *gid);

#endif
