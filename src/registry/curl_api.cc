// libcurl through dlopen (see curl_api.h).
#include "registry/curl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <optional>
#include <string>

namespace berth::registry::http {
namespace {

constexpr const char* kLibrary = "libcurl.so.4";

// Points `fn` at the library's `name`; false when it is missing.
template <class Fn>
bool bind(void* lib, const char* name, Fn& fn, std::string& missing) {
    fn = reinterpret_cast<Fn>(::dlsym(lib, name));
    if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
    return fn != nullptr;
}

Result<const CurlApi*> load() {
    // Never closed: curl keeps global state (and maybe threads) for the life of the process.
    void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = ::dlerror();
        return Error(ErrorKind::Unavailable, std::string("registry client needs libcurl: cannot load ") +
                                                 kLibrary + ": " + (why ? why : "unknown error") +
                                                 " (install the libcurl4 package)");
    }
    static CurlApi api;
    CURLcode (*global_init)(long) = nullptr;
    std::string missing;
    bind(lib, "curl_global_init", global_init, missing);
    bind(lib, "curl_easy_init", api.easy_init, missing);
    bind(lib, "curl_easy_cleanup", api.easy_cleanup, missing);
    bind(lib, "curl_easy_setopt", api.easy_setopt, missing);
    bind(lib, "curl_easy_getinfo", api.easy_getinfo, missing);
    bind(lib, "curl_easy_perform", api.easy_perform, missing);
    bind(lib, "curl_easy_strerror", api.easy_strerror, missing);
    bind(lib, "curl_slist_append", api.slist_append, missing);
    bind(lib, "curl_slist_free_all", api.slist_free_all, missing);
    if (!missing.empty())
        return Error(ErrorKind::Unavailable,
                     std::string(kLibrary) + " lacks " + missing + " (libcurl too old?)");
    CURLcode rc = global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return Error(ErrorKind::Unavailable,
                     "curl_global_init failed: " + std::string(api.easy_strerror(rc)));
    return &api;
}

}  // namespace

Result<const CurlApi*> curl_api() {
    static std::once_flag once;
    static std::optional<Result<const CurlApi*>> loaded;
    std::call_once(once, [] { loaded.emplace(load()); });
    return *loaded;
}

}  // namespace berth::registry::http
