// Internal: the value model of the template engine (a JSON value, or Go's "invalid value" for
// a missing map key) and how Go's fmt and encoding/json print such values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/json.h"

namespace berth::cli::format {

// A value during execution. It either refers to part of the caller's data (no copy), owns a
// value computed by a function, or is "missing": what Go yields for {{.Key}} on a map without
// that key (an invalid reflect.Value, printed "<no value>").
class Value {
public:
    Value() = default;  // missing
    static Value ref(const Json& j) {
        Value v;
        v.ptr_ = &j;
        return v;
    }
    static Value own(Json j) {
        Value v;
        v.own_ = std::make_shared<const Json>(std::move(j));
        v.ptr_ = v.own_.get();
        return v;
    }
    // A part of this value (an element, a key's value): keeps an owned parent alive.
    Value sub(const Json& part) const {
        Value v;
        v.ptr_ = &part;
        v.own_ = own_;
        return v;
    }
    bool missing() const { return ptr_ == nullptr; }
    // The JSON value; null when missing (what Go passes to an `any` parameter then).
    const Json& json() const { return ptr_ ? *ptr_ : null_json(); }

private:
    static const Json& null_json();
    const Json* ptr_ = nullptr;
    std::shared_ptr<const Json> own_;
};

// Go's type name for a JSON value as Go's json.Unmarshal-into-any would type it, except
// that integers are "int" (docker hands typed structs to its templates, whose counts are ints).
std::string go_type_name(const Json& j);
std::string go_type_name(const Value& v);

// text/template truth: false, 0, "", empty array/object, null and missing are false.
bool is_true(const Value& v);

// Integer view of a JSON number that holds an integer.
bool as_int64(const Json& j, int64_t& out);

// fmt's %v: strings raw, 1.5, 1e+06, true, <nil>, [a b], map[k:v] (sorted keys).
std::string go_print(const Json& j);
// What a template action prints: go_print, or "<no value>" when missing.
std::string go_print(const Value& v);

// Shortest round-trip float as Go's strconv.FormatFloat(f, fmt, -1, 64) writes it, fmt being
// 'e', 'f' or 'g' ('g' is %v: exponent form when the exponent is < -4 or >= 6, so 1e+06).
std::string go_float(double f, char fmt);

// encoding/json with SetEscapeHTML(false), as docker's `json` function: compact, keys sorted,
// integers without a decimal point, floats like Go.
std::string go_json(const Json& j);

// strconv.Quote: "a\tb" with Go's escapes; printable non-ASCII kept.
std::string go_quote(std::string_view s);

// Number of runes (UTF-8 code points) in s; invalid bytes count one each.
size_t rune_count(std::string_view s);

}  // namespace berth::cli::format
