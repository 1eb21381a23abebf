// Private to the registry client: libcurl, loaded with dlopen("libcurl.so.4") the first time
// a registry operation runs. berthd is linked without it so that an idle daemon does not map
// libcurl and its chain (gnutls, krb5, ldap, ssh2, nghttp2...: ~3.5 MB of memory).
//
//   const CurlApi* curl = BERTH_TRY(curl_api());   // loads once; an Error if it cannot
//   CURL* c = curl->easy_init();
//   curl->easy_setopt(c, CURLOPT_URL, "https://...");
// The types and constants come from <curl/curl.h> (headers only, nothing linked).
#pragma once

#include <curl/curl.h>

#include "common/error.h"

namespace berth::registry::http {

struct CurlApi {
    CURL* (*easy_init)();
    void (*easy_cleanup)(CURL*);
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    CURLcode (*easy_perform)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

// The loaded library, curl_global_init done. Thread-safe; a failure (library missing, a
// symbol missing, global init failing) is returned again on every call.
Result<const CurlApi*> curl_api();

}  // namespace berth::registry::http
