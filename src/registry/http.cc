// One HTTP exchange over libcurl, loaded on first use (see http.h, curl_api.h).
#include "registry/http.h"

#include <dirent.h>

#include <algorithm>
#include <chrono>

#include "common/file.h"
#include "common/strings.h"
#include "registry/curl_api.h"

namespace berth::registry::http {

namespace {

struct Transfer {
    const CurlApi* api;
    const Request* req;
    Response* resp;
    CURL* curl = nullptr;
    size_t read_pos = 0;
    int64_t skip = -1;  // bytes to drop from a 200 answer to a ranged request; -1: not decided
    // Stall detection: when bytes last moved either way (curl's low-speed check averages over
    // a window of several seconds, so it fires late after a burst).
    std::chrono::steady_clock::time_point last_move = std::chrono::steady_clock::now();
    curl_off_t last_dl = 0, last_ul = 0;
    bool stalled = false;
    int stall_seconds = 30;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        // A new response (after a redirect or 100 Continue): forget the previous headers.
        t->resp->headers.clear();
        t->resp->challenges.clear();
        return size * n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return size * n;
    std::string name = to_lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "www-authenticate") t->resp->challenges.push_back(value);
    t->resp->headers[name] = value;
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t len = size * n;
    long status = 0;
    t->api->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    // Only a final 2xx body goes to the sink; errors and redirect bodies are kept for messages.
    if (t->req->sink && !t->resp->sink_error) {
        if (status >= 200 && status < 300) {
            if (t->skip < 0) t->skip = status == 200 ? t->req->range_from : 0;
            if (t->skip > 0) {
                size_t k = static_cast<size_t>(std::min<int64_t>(t->skip, static_cast<int64_t>(len)));
                t->skip -= static_cast<int64_t>(k);
                data += k;
                len -= k;
                if (len == 0) return size * n;
            }
            try {
                auto r = t->req->sink(std::string_view(data, len));
                if (!r) {
                    t->resp->sink_error = r.error();
                    return CURL_WRITEFUNC_ERROR;
                }
            } catch (const std::exception& e) {
                t->resp->sink_error = Error::internal(std::string("blob sink: ") + e.what());
                return CURL_WRITEFUNC_ERROR;
            }
            t->resp->delivered += static_cast<int64_t>(len);
            return size * n;
        }
    }
    if (t->resp->body.size() + len > t->req->max_body) return CURL_WRITEFUNC_ERROR;
    t->resp->body.append(data, len);
    return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t len = size * n;
    if (t->req->read) {
        try {
            auto r = t->req->read(buf, len);
            if (!r) {
                t->resp->sink_error = r.error();
                return CURL_READFUNC_ABORT;
            }
            return *r;
        } catch (const std::exception& e) {
            t->resp->sink_error = Error::internal(std::string("upload: ") + e.what());
            return CURL_READFUNC_ABORT;
        }
    }
    size_t k = std::min(len, t->req->body.size() - t->read_pos);
    memcpy(buf, t->req->body.data() + t->read_pos, k);
    t->read_pos += k;
    return k;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    auto* t = static_cast<Transfer*>(user);
    auto now = std::chrono::steady_clock::now();
    if (dlnow != t->last_dl || ulnow != t->last_ul) {
        t->last_dl = dlnow;
        t->last_ul = ulnow;
        t->last_move = now;
    } else if (now - t->last_move >= std::chrono::seconds(t->stall_seconds)) {
        t->stalled = true;
        return 1;  // aborts the transfer
    }
    if (!t->req->progress) return 0;
    try {
        if (ultotal > 0)
            t->req->progress(ulnow, ultotal);
        else if (dlnow > 0)
            t->req->progress(t->resp->delivered, dltotal > 0 ? dltotal : -1);
    } catch (...) {
    }
    return 0;
}

// certs.d/<host>/: *.crt are CAs, *.cert + *.key the client certificate (Docker's layout).
struct TlsFiles {
    std::string ca_blob;
    std::string cert, key;
};

TlsFiles tls_files(const Config& cfg, const std::string& host) {
    TlsFiles out;
    std::string dir = cfg.certs_dir + "/" + host;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    std::vector<std::string> names;
    while (auto* e = readdir(d)) names.push_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
        std::string p = dir + "/" + n;
        if (n.ends_with(".crt")) {
            if (auto text = read_file(p)) out.ca_blob += *text + "\n";
        } else if (n.ends_with(".cert")) {
            std::string key = p.substr(0, p.size() - 5) + ".key";
            if (path_exists(key)) {
                out.cert = p;
                out.key = key;
            }
        }
    }
    return out;
}

}  // namespace

bool has_tls_files(const Config& cfg, const std::string& host) {
    auto t = tls_files(cfg, host);
    return !t.ca_blob.empty() || !t.cert.empty();
}

std::string host_of(std::string_view url) {
    auto p = url.find("://");
    if (p != std::string_view::npos) url.remove_prefix(p + 3);
    auto end = url.find_first_of("/?#");
    return std::string(url.substr(0, end));
}

Result<Response> perform(const Config& cfg, const std::string& tls_host, const Request& req) {
    const CurlApi* api = BERTH_TRY(curl_api());
    CURL* c = api->easy_init();
    if (!c) return Error::internal("curl_easy_init failed");
    Response resp;
    Transfer t{api, &req, &resp, c};
    t.stall_seconds = cfg.stall_seconds;
    struct curl_slist* headers = nullptr;
    for (auto& h : req.headers) headers = api->slist_append(headers, h.c_str());
    std::string range = "Range: bytes=" + std::to_string(req.range_from) + "-";
    if (req.range_from > 0) headers = api->slist_append(headers, range.c_str());
    if (!req.read && req.body.empty() &&
        (req.method == "PUT" || req.method == "POST" || req.method == "PATCH"))
        headers = api->slist_append(headers, "Content-Length: 0");
    headers = api->slist_append(headers, "Expect:");
    char errbuf[CURL_ERROR_SIZE] = {};
    TlsFiles tls = tls_files(cfg, tls_host);
    struct curl_blob ca {
        tls.ca_blob.data(), tls.ca_blob.size(), CURL_BLOB_NOCOPY
    };

    api->easy_setopt(c, CURLOPT_URL, req.url.c_str());
    api->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    api->easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1 (distribution client)");
    api->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    api->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    api->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    api->easy_setopt(c, CURLOPT_HEADERDATA, &t);
    api->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    api->easy_setopt(c, CURLOPT_WRITEDATA, &t);
    api->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    api->easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    api->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);  // on_progress also watches for stalls
    api->easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
    api->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    api->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    api->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(cfg.connect_timeout));
    api->easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // identity/gzip for JSON; blobs come as is
    api->easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (!tls.ca_blob.empty()) {
        api->easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
        api->easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
    }
    if (!tls.cert.empty()) {
        api->easy_setopt(c, CURLOPT_SSLCERT, tls.cert.c_str());
        api->easy_setopt(c, CURLOPT_SSLKEY, tls.key.c_str());
    }
    if (req.method == "HEAD") {
        api->easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
        api->easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        api->easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
        api->easy_setopt(c, CURLOPT_UPLOAD, 1L);
        api->easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        api->easy_setopt(c, CURLOPT_READDATA, &t);
        int64_t size = req.read ? req.body_size : static_cast<int64_t>(req.body.size());
        api->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    }
    CURLcode rc = api->easy_perform(c);
    api->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    char* eff = nullptr;
    api->easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff) resp.effective_url = eff;
    api->slist_free_all(headers);
    api->easy_cleanup(c);
    if (resp.sink_error) return *resp.sink_error;
    if (rc != CURLE_OK) {
        std::string why = errbuf[0] ? errbuf : api->easy_strerror(rc);
        if (t.stalled)
            why = "transfer stalled: no data moved for " + std::to_string(cfg.stall_seconds) + " seconds";
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            why = "timed out: " + why;
        return Error(ErrorKind::Unavailable, req.method + " " + req.url + ": " + why);
    }
    return resp;
}

}  // namespace berth::registry::http
