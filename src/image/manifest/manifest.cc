// Descriptors, image manifests and indexes: media types, parsing with field-named errors,
// and canonical serialisation (OCI image-spec descriptor.md, manifest.md, image-index.md;
// Docker "Image Manifest V2, Schema 2").
#include "image/manifest/manifest.h"

#include <array>

#include "image/manifest/fields.h"

namespace berth::image::manifest {
namespace mt = media_type;
using fields::join;

// ---- media types --------------------------------------------------------------------------

bool is_index(std::string_view t) {
    return t == mt::kOciIndex || t == mt::kDockerManifestList;
}
bool is_manifest(std::string_view t) {
    return t == mt::kOciManifest || t == mt::kDockerManifest;
}
bool is_config(std::string_view t) {
    return t == mt::kOciConfig || t == mt::kDockerConfig;
}

Result<Compression> layer_compression(std::string_view t) {
    static constexpr std::array<std::pair<std::string_view, Compression>, 11> kLayers = {{
        {mt::kOciLayer, Compression::None},
        {mt::kOciLayerGzip, Compression::Gzip},
        {mt::kOciLayerZstd, Compression::Zstd},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar", Compression::None},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Compression::Gzip},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Compression::Zstd},
        {mt::kDockerLayer, Compression::Gzip},
        {mt::kDockerForeignLayer, Compression::Gzip},
        // Uncompressed Docker layers, as `docker save` and some tools emit them.
        {"application/vnd.docker.image.rootfs.diff.tar", Compression::None},
        {"application/vnd.docker.image.rootfs.diff.tar.zstd", Compression::Zstd},
        {"application/vnd.docker.image.rootfs.foreign.diff.tar", Compression::None},
    }};
    for (const auto& [type, c] : kLayers)
        if (t == type) return c;
    return Error::invalid("unsupported layer media type \"" + std::string(t) + "\"");
}

bool is_layer(std::string_view t) {
    return layer_compression(t).has_value();
}

static Error schema1_error() {
    return Error::unsupported(
        "Docker Image manifest version 2, schema 1 is not supported; the image must be "
        "rebuilt or re-pushed with a current tool");
}

Result<std::string> detect_media_type(std::string_view bytes, std::string_view content_type) {
    auto j = BERTH_TRY(fields::parse_object(bytes, kMaxManifestSize, "manifest"));
    auto field = BERTH_TRY(fields::opt_string(j, "mediaType", ""));
    std::string type = field ? *field : std::string();
    // Content-Type may carry parameters ("; charset=utf-8").
    std::string_view header = content_type.substr(0, content_type.find(';'));
    while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
    if (type.empty() && (is_index(header) || is_manifest(header))) type = header;
    if (type.empty()) {
        auto version = BERTH_TRY(fields::opt_int(j, "schemaVersion", ""));
        if (version && *version == 1) return schema1_error();
        if (fields::member(j, "manifests")) return std::string(mt::kOciIndex);
        if (fields::member(j, "config") || fields::member(j, "layers")) return std::string(mt::kOciManifest);
        return Error::invalid("manifest: cannot tell its type: no mediaType, no manifests, no config");
    }
    if (type == mt::kDockerSchema1 || type == mt::kDockerSchema1Signed) return schema1_error();
    if (!is_index(type) && !is_manifest(type))
        return Error::invalid("mediaType: unsupported manifest media type \"" + type + "\"");
    return type;
}

// ---- descriptors --------------------------------------------------------------------------

static Result<Platform> parse_platform_json(const Json& j, const std::string& field) {
    if (!j.is_object()) return fields::type_error(field, "object", j);
    Platform p;
    p.architecture = BERTH_TRY(fields::req_string(j, "architecture", field));
    p.os = BERTH_TRY(fields::req_string(j, "os", field));
    p.os_version = BERTH_TRY(fields::opt_string(j, "os.version", field)).value_or("");
    p.os_features =
        BERTH_TRY(fields::opt_strings(j, "os.features", field)).value_or(std::vector<std::string>{});
    p.variant = BERTH_TRY(fields::opt_string(j, "variant", field)).value_or("");
    return p;
}

Result<Descriptor> parse_descriptor(const Json& j, const std::string& field) {
    if (!j.is_object()) return fields::type_error(field, "object", j);
    Descriptor d;
    d.media_type = BERTH_TRY(fields::req_string(j, "mediaType", field));
    if (d.media_type.empty() || d.media_type.find('/') == std::string::npos)
        return Error::invalid(join(field, "mediaType") + ": invalid media type \"" + d.media_type + "\"");
    d.digest = BERTH_TRY(fields::req_digest(j, "digest", field));
    auto size = BERTH_TRY(fields::opt_int(j, "size", field));
    if (!size) return fields::required(join(field, "size"));
    if (*size < 0) return Error::invalid(join(field, "size") + ": must not be negative");
    d.size = *size;
    d.urls = BERTH_TRY(fields::opt_strings(j, "urls", field)).value_or(std::vector<std::string>{});
    d.annotations = BERTH_TRY(fields::opt_string_map(j, "annotations", field));
    if (const Json* p = fields::member(j, "platform"))
        d.platform = BERTH_TRY(parse_platform_json(*p, join(field, "platform")));
    d.artifact_type = BERTH_TRY(fields::opt_string(j, "artifactType", field)).value_or("");
    d.data = BERTH_TRY(fields::opt_string(j, "data", field)).value_or("");
    return d;
}

static Result<std::vector<Descriptor>> parse_descriptors(const Json& j, std::string_view key, bool required) {
    std::vector<Descriptor> out;
    const Json* v = fields::member(j, key);
    if (!v) {
        if (required) return fields::required(std::string(key));
        return out;
    }
    if (!v->is_array()) return fields::type_error(std::string(key), "array", *v);
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i)
        out.push_back(BERTH_TRY(parse_descriptor((*v)[i], std::string(key) + "[" + std::to_string(i) + "]")));
    return out;
}

// schemaVersion must be 2; mediaType, when present, must agree with what the caller expects.
static Result<std::string> check_header(const Json& j, std::string_view expected, bool want_index,
                                        bool& in_json) {
    auto version = BERTH_TRY(fields::opt_int(j, "schemaVersion", ""));
    if (!version) return fields::required("schemaVersion");
    if (*version == 1) return schema1_error();
    if (*version != 2) return Error::invalid("schemaVersion: must be 2, got " + std::to_string(*version));
    auto field = BERTH_TRY(fields::opt_string(j, "mediaType", ""));
    in_json = field.has_value();
    std::string type = field ? *field : std::string(expected);
    if (type.empty()) type = want_index ? mt::kOciIndex : mt::kOciManifest;
    bool ok_type = want_index ? is_index(type) : is_manifest(type);
    if (!ok_type) {
        return Error::invalid("mediaType: \"" + type + "\" is not an image " +
                              (want_index ? "index" : "manifest") + " media type");
    }
    if (!expected.empty() && type != expected)
        return Error::invalid("mediaType: document says \"" + type + "\", expected \"" +
                              std::string(expected) + "\"");
    return type;
}

// ---- manifests and indexes ----------------------------------------------------------------

static Result<Manifest> parse_manifest_doc(std::string_view bytes, std::string_view expected) {
    auto j = BERTH_TRY(fields::parse_object(bytes, kMaxManifestSize, "manifest"));
    Manifest m;
    m.schema_version = 2;
    m.media_type = BERTH_TRY(check_header(j, expected, false, m.media_type_in_json));
    const Json* config = fields::member(j, "config");
    if (!config) return fields::required("config");
    m.config = BERTH_TRY(parse_descriptor(*config, "config"));
    m.layers = BERTH_TRY(parse_descriptors(j, "layers", /*required=*/true));
    if (const Json* s = fields::member(j, "subject")) m.subject = BERTH_TRY(parse_descriptor(*s, "subject"));
    m.artifact_type = BERTH_TRY(fields::opt_string(j, "artifactType", "")).value_or("");
    m.annotations = BERTH_TRY(fields::opt_string_map(j, "annotations", ""));
    if (m.media_type == mt::kDockerManifest && !is_config(m.config.media_type) &&
        m.config.media_type != "application/vnd.docker.plugin.v1+json") {
        return Error::invalid("config.mediaType: unsupported config media type \"" + m.config.media_type +
                              "\"");
    }
    return m;
}

Result<Manifest> parse_manifest(std::string_view bytes, std::string_view media_type) {
    auto r = parse_manifest_doc(bytes, media_type);
    if (!r) return std::move(r.error()).with_context("invalid image manifest");
    return r;
}

Result<Manifest> parse_image_manifest(std::string_view bytes, std::string_view media_type) {
    auto m = BERTH_TRY(parse_manifest(bytes, media_type));
    auto fail = [](std::string msg) {
        return Error::invalid(std::move(msg)).with_context("invalid image manifest");
    };
    if (!is_config(m.config.media_type))
        return fail("config.mediaType: \"" + m.config.media_type + "\" is not an image config media type");
    for (size_t i = 0; i < m.layers.size(); ++i) {
        if (!is_layer(m.layers[i].media_type)) {
            return fail("layers[" + std::to_string(i) + "].mediaType: unsupported layer media type \"" +
                        m.layers[i].media_type + "\"");
        }
    }
    return m;
}

static Result<Index> parse_index_doc(std::string_view bytes, std::string_view expected) {
    auto j = BERTH_TRY(fields::parse_object(bytes, kMaxManifestSize, "index"));
    Index idx;
    idx.media_type = BERTH_TRY(check_header(j, expected, true, idx.media_type_in_json));
    idx.manifests = BERTH_TRY(parse_descriptors(j, "manifests", /*required=*/true));
    if (idx.media_type == mt::kDockerManifestList) {
        // Docker's manifest list makes platform mandatory for every entry.
        for (size_t i = 0; i < idx.manifests.size(); ++i)
            if (!idx.manifests[i].platform)
                return fields::required("manifests[" + std::to_string(i) + "].platform");
    }
    if (const Json* s = fields::member(j, "subject"))
        idx.subject = BERTH_TRY(parse_descriptor(*s, "subject"));
    idx.artifact_type = BERTH_TRY(fields::opt_string(j, "artifactType", "")).value_or("");
    idx.annotations = BERTH_TRY(fields::opt_string_map(j, "annotations", ""));
    return idx;
}

Result<Index> parse_index(std::string_view bytes, std::string_view media_type) {
    auto r = parse_index_doc(bytes, media_type);
    if (!r) return std::move(r.error()).with_context("invalid image index");
    return r;
}

// ---- serialisation ------------------------------------------------------------------------

std::string canonical(const Json& j) {
    return dump_json(j);
}

Json to_json(const Platform& p) {
    Json j = Json::object();
    j["architecture"] = p.architecture;
    j["os"] = p.os;
    if (!p.os_version.empty()) j["os.version"] = p.os_version;
    if (!p.os_features.empty()) j["os.features"] = p.os_features;
    if (!p.variant.empty()) j["variant"] = p.variant;
    return j;
}

Json to_json(const Descriptor& d) {
    Json j = Json::object();
    j["mediaType"] = d.media_type;
    j["digest"] = d.digest.str();
    j["size"] = d.size;
    if (!d.urls.empty()) j["urls"] = d.urls;
    if (!d.annotations.empty()) j["annotations"] = d.annotations;
    if (d.platform) j["platform"] = to_json(*d.platform);
    if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
    if (!d.data.empty()) j["data"] = d.data;
    return j;
}

static Json descriptors_json(const std::vector<Descriptor>& ds) {
    Json a = Json::array();
    for (const auto& d : ds) a.push_back(to_json(d));
    return a;
}

Json to_json(const Manifest& m) {
    Json j = Json::object();
    j["schemaVersion"] = m.schema_version;
    if (!m.media_type.empty()) j["mediaType"] = m.media_type;
    if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
    j["config"] = to_json(m.config);
    j["layers"] = descriptors_json(m.layers);
    if (m.subject) j["subject"] = to_json(*m.subject);
    if (!m.annotations.empty()) j["annotations"] = m.annotations;
    return j;
}

Json to_json(const Index& i) {
    Json j = Json::object();
    j["schemaVersion"] = i.schema_version;
    if (!i.media_type.empty()) j["mediaType"] = i.media_type;
    if (!i.artifact_type.empty()) j["artifactType"] = i.artifact_type;
    j["manifests"] = descriptors_json(i.manifests);
    if (i.subject) j["subject"] = to_json(*i.subject);
    if (!i.annotations.empty()) j["annotations"] = i.annotations;
    return j;
}

}  // namespace berth::image::manifest
