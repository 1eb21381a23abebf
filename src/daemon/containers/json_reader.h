// Reads the fields of one JSON object into typed values, checking each as a Go decoder
// would (null is the zero value; a wrong type names the field: "invalid JSON:
// HostConfig.Memory: expected integer, got string"). The first error wins; keys no field
// asked for stay available through rest(), so a record keeps what it does not model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace berth::daemon::containers {

class JsonReader {
public:
    // `prefix` starts every field name in errors ("HostConfig.").
    JsonReader(const Json& obj, std::string prefix);

    void str(const char* key, std::string& out);
    void boolean(const char* key, bool& out);
    void boolean(const char* key, std::optional<bool>& out);
    void integer(const char* key, int64_t& out);
    void integer(const char* key, int& out);
    void integer(const char* key, std::optional<int64_t>& out);
    void integer(const char* key, std::optional<int>& out);
    void strings(const char* key, std::vector<std::string>& out);  // array of strings
    // A string or an array of strings (Cmd, Entrypoint); null or absent: nullopt.
    void str_slice(const char* key, std::optional<std::vector<std::string>>& out);
    void str_map(const char* key, std::map<std::string, std::string>& out);  // object of strings
    void key_set(const char* key, std::set<std::string>& out);               // {"80/tcp": {}}
    // An object (nullptr when absent or null); its fields are read by the caller.
    const Json* object(const char* key);
    const Json* objects(const char* key);  // an array of objects (nullptr when absent or null)
    const Json* any(const char* key);      // taken as it is (nullptr when absent or null)

    // The fields not read, as an object ({} when none).
    Json rest() const;
    const std::string& prefix() const { return prefix_; }
    void fail(Error e);
    // The first error, or ok.
    Result<> status() const;

private:
    const Json* take(const char* key);  // nullptr when absent or null
    void expected(const char* key, const char* type, const Json& got);

    const Json& obj_;
    std::string prefix_;
    std::set<std::string> read_;
    std::optional<Error> error_;
};

// The Go type name of a JSON value, as a decoder's error says it.
const char* json_kind(const Json& v);

}  // namespace berth::daemon::containers
