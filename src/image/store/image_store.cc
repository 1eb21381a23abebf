// Image metadata in SQLite: schema, one transaction per change, layer refcounts, and
// Docker's name resolution rules (daemon/images GetImage: ID, reference, then ID prefix).
#include "image/store/image_store.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "common/sqlite.h"
#include "image/manifest/manifest.h"

namespace berth::image::store {

struct ImageStore::Impl {
    std::unique_ptr<sql::Db> db;
    std::mutex mu;
};

namespace {

// Foreign keys are deferred so a transaction may delete children and parents in any order.
constexpr const char* kSchemaV1 = R"(
CREATE TABLE images (
    id              TEXT PRIMARY KEY,
    manifest_digest TEXT NOT NULL DEFAULT '',
    media_type      TEXT NOT NULL DEFAULT '',
    platform        TEXT NOT NULL DEFAULT '',
    created         INTEGER NOT NULL DEFAULT 0,
    size            INTEGER NOT NULL DEFAULT 0,
    added           INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE layers (
    chain_id TEXT PRIMARY KEY,
    diff_id  TEXT NOT NULL,
    parent   TEXT REFERENCES layers(chain_id) DEFERRABLE INITIALLY DEFERRED,
    size     INTEGER NOT NULL DEFAULT 0,
    refcount INTEGER NOT NULL CHECK (refcount >= 0)
);
CREATE TABLE image_layers (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    position INTEGER NOT NULL,
    chain_id TEXT NOT NULL REFERENCES layers(chain_id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (image_id, position)
);
CREATE INDEX image_layers_chain ON image_layers(chain_id);
CREATE TABLE image_blobs (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    digest   TEXT NOT NULL,
    PRIMARY KEY (image_id, digest)
);
CREATE INDEX image_blobs_digest ON image_blobs(digest);
CREATE TABLE tags (
    ref      TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX tags_image ON tags(image_id);
CREATE TABLE repo_digests (
    ref      TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX repo_digests_image ON repo_digests(image_id);
PRAGMA user_version = 1;
)";

Result<Digest> col_digest(const sql::Stmt& st, int col) {
    std::string s = st.text(col);
    if (s.empty()) return Digest();
    auto d = Digest::parse(s);
    if (!d) return Error::internal("corrupt digest in image database: " + d.error().message());
    return d;
}

Error no_such_image(std::string_view what) {
    return Error::not_found("No such image: " + std::string(what));
}

Result<> migrate(sql::Db& db) {
    int64_t version = BERTH_TRY(db.query_int("PRAGMA user_version"));
    if (version == kSchemaVersion) return ok();
    if (version > kSchemaVersion) {
        return Error::unsupported("image database schema version " + std::to_string(version) +
                                  " is newer than this berth supports (" + std::to_string(kSchemaVersion) +
                                  ")");
    }
    auto tx = BERTH_TRY(sql::Transaction::begin(db));
    // Re-read inside the write lock: another process may have migrated meanwhile.
    version = BERTH_TRY(db.query_int("PRAGMA user_version"));
    if (version == 0) BERTH_TRY(db.exec(kSchemaV1));
    return tx.commit();
}

Result<bool> image_exists(sql::Db& db, const Digest& id) {
    auto st = BERTH_TRY(db.prepare("SELECT 1 FROM images WHERE id = ?"));
    st.bind(1, id.str());
    return st.step();
}

Result<> check_tag_ref(const reference::Reference& ref) {
    if (!ref.has_tag() || ref.has_digest() || ref.domain().empty())
        return Error::invalid("not a normalised name:tag reference: " + ref.string());
    return ok();
}

Result<std::vector<std::string>> names_of(sql::Db& db, const char* table, const Digest& id) {
    auto st =
        BERTH_TRY(db.prepare(std::string("SELECT ref FROM ") + table + " WHERE image_id = ? ORDER BY ref"));
    st.bind(1, id.str());
    std::vector<std::string> out;
    while (BERTH_TRY(st.step())) out.push_back(st.text(0));
    return out;
}

constexpr const char* kImageColumns = "id, manifest_digest, media_type, platform, created, size, added";

Result<ImageRecord> read_image(const sql::Stmt& st) {
    ImageRecord r;
    r.id = BERTH_TRY(col_digest(st, 0));
    r.manifest_digest = BERTH_TRY(col_digest(st, 1));
    r.media_type = st.text(2);
    r.platform = st.text(3);
    r.created = st.int64(4);
    r.size = st.int64(5);
    r.added = st.int64(6);
    return r;
}

Result<LayerRecord> read_layer(const sql::Stmt& st) {
    LayerRecord l;
    l.chain_id = BERTH_TRY(col_digest(st, 0));
    l.diff_id = BERTH_TRY(col_digest(st, 1));
    l.parent = BERTH_TRY(col_digest(st, 2));
    l.size = st.int64(3);
    l.refcount = st.int64(4);
    return l;
}

bool is_hex_prefix(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

}  // namespace

ImageStore::ImageStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageStore::ImageStore(ImageStore&&) noexcept = default;
ImageStore& ImageStore::operator=(ImageStore&&) noexcept = default;
ImageStore::~ImageStore() = default;

Result<ImageStore> ImageStore::open(const std::string& path) {
    auto impl = std::make_unique<Impl>();
    impl->db = BERTH_TRY_CTX(sql::Db::open(path), "open image store");
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    BERTH_TRY_CTX(impl->db->exec("PRAGMA busy_timeout = 10000;"
                                 "PRAGMA journal_mode = WAL;"
                                 "PRAGMA synchronous = FULL;"
                                 "PRAGMA foreign_keys = ON;"),
                  "open image store");
    BERTH_TRY_CTX(migrate(*impl->db), "migrate image store");
    return ImageStore(std::move(impl));
}

Result<bool> ImageStore::add_image(const NewImage& img) {
    if (img.image.id.empty()) return Error::invalid("add image: empty image ID");
    for (const auto& t : img.tags) BERTH_TRY(check_tag_ref(t));
    for (const auto& r : img.repo_digests) {
        if (!r.has_digest() || r.has_tag() || r.domain().empty())
            return Error::invalid("not a normalised name@digest reference: " + r.string());
    }
    std::vector<Digest> diff_ids;
    for (const auto& l : img.layers) {
        if (l.diff_id.empty() || l.size < 0) return Error::invalid("add image: invalid layer record");
        diff_ids.push_back(l.diff_id);
    }
    std::vector<Digest> chain = manifest::chain_ids(diff_ids);

    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto tx = BERTH_TRY(sql::Transaction::begin(db));
    bool added = !BERTH_TRY(image_exists(db, img.image.id));
    if (added) {
        auto ins = BERTH_TRY(
            db.prepare("INSERT INTO images (id, manifest_digest, media_type, platform, created, size, added) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)"));
        ins.bind(1, img.image.id.str())
            .bind(2, img.image.manifest_digest.str())
            .bind(3, img.image.media_type);
        ins.bind(4, img.image.platform).bind(5, img.image.created).bind(6, img.image.size);
        ins.bind(7, static_cast<int64_t>(::time(nullptr)));
        BERTH_TRY(ins.run());
        for (size_t i = 0; i < chain.size(); ++i) {
            auto layer = BERTH_TRY(db.prepare(
                "INSERT INTO layers (chain_id, diff_id, parent, size, refcount) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT (chain_id) DO UPDATE SET refcount = refcount + 1"));
            layer.bind(1, chain[i].str()).bind(2, diff_ids[i].str()).bind(4, img.layers[i].size);
            if (i == 0)
                layer.bind_null(3);
            else
                layer.bind(3, chain[i - 1].str());
            BERTH_TRY(layer.run());
            auto link = BERTH_TRY(
                db.prepare("INSERT INTO image_layers (image_id, position, chain_id) VALUES (?, ?, ?)"));
            link.bind(1, img.image.id.str()).bind(2, static_cast<int64_t>(i)).bind(3, chain[i].str());
            BERTH_TRY(link.run());
        }
    }
    for (const auto& b : img.blobs) {
        auto st = BERTH_TRY(db.prepare("INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)"));
        st.bind(1, img.image.id.str()).bind(2, b.str());
        BERTH_TRY(st.run());
    }
    for (const auto& [table, refs] :
         {std::pair{"tags", &img.tags}, std::pair{"repo_digests", &img.repo_digests}}) {
        for (const auto& r : *refs) {
            auto st = BERTH_TRY(db.prepare(std::string("INSERT INTO ") + table +
                                           " (ref, image_id) VALUES (?, ?) "
                                           "ON CONFLICT (ref) DO UPDATE SET image_id = excluded.image_id"));
            st.bind(1, r.string()).bind(2, img.image.id.str());
            BERTH_TRY(st.run());
        }
    }
    BERTH_TRY(tx.commit());
    return added;
}

Result<Garbage> ImageStore::remove_image(const Digest& id) {
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto tx = BERTH_TRY(sql::Transaction::begin(db));
    if (!BERTH_TRY(image_exists(db, id))) return no_such_image(id.str());
    std::vector<std::string> chain, blobs;
    {
        auto st = BERTH_TRY(
            db.prepare("SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position DESC"));
        st.bind(1, id.str());
        while (BERTH_TRY(st.step())) chain.push_back(st.text(0));
        auto bs = BERTH_TRY(db.prepare("SELECT digest FROM image_blobs WHERE image_id = ? ORDER BY digest"));
        bs.bind(1, id.str());
        while (BERTH_TRY(bs.step())) blobs.push_back(bs.text(0));
    }
    auto del = BERTH_TRY(db.prepare("DELETE FROM images WHERE id = ?"));
    del.bind(1, id.str());
    BERTH_TRY(del.run());

    Garbage garbage;
    for (const auto& c : chain) {
        auto dec = BERTH_TRY(db.prepare("UPDATE layers SET refcount = refcount - 1 WHERE chain_id = ?"));
        dec.bind(1, c);
        BERTH_TRY(dec.run());
        auto sel =
            BERTH_TRY(db.prepare("SELECT chain_id, diff_id, parent, size, refcount FROM layers WHERE "
                                 "chain_id = ? AND refcount = 0"));
        sel.bind(1, c);
        if (!BERTH_TRY(sel.step())) continue;
        garbage.layers.push_back(BERTH_TRY(read_layer(sel)));
        auto drop = BERTH_TRY(db.prepare("DELETE FROM layers WHERE chain_id = ?"));
        drop.bind(1, c);
        BERTH_TRY(drop.run());
    }
    for (const auto& b : blobs) {
        auto st = BERTH_TRY(db.prepare("SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1"));
        st.bind(1, b);
        if (!BERTH_TRY(st.step())) garbage.blobs.push_back(*Digest::parse(b));
    }
    BERTH_TRY(tx.commit());
    return garbage;
}

Result<std::optional<Digest>> ImageStore::tag(const reference::Reference& ref, const Digest& id) {
    BERTH_TRY(check_tag_ref(ref));
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto tx = BERTH_TRY(sql::Transaction::begin(db));
    if (!BERTH_TRY(image_exists(db, id))) return no_such_image(id.str());
    std::optional<Digest> previous;
    auto sel = BERTH_TRY(db.prepare("SELECT image_id FROM tags WHERE ref = ?"));
    sel.bind(1, ref.string());
    if (BERTH_TRY(sel.step())) {
        Digest old = BERTH_TRY(col_digest(sel, 0));
        if (old != id) previous = old;
    }
    auto st =
        BERTH_TRY(db.prepare("INSERT INTO tags (ref, image_id) VALUES (?, ?) "
                             "ON CONFLICT (ref) DO UPDATE SET image_id = excluded.image_id"));
    st.bind(1, ref.string()).bind(2, id.str());
    BERTH_TRY(st.run());
    BERTH_TRY(tx.commit());
    return previous;
}

Result<Digest> ImageStore::untag(const reference::Reference& ref_in) {
    // Docker's untag: name@digest removes a repo digest, anything else a tag (":latest" added).
    reference::Reference ref = ref_in.docker_ref();
    const char* table = ref.has_digest() ? "repo_digests" : "tags";
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto tx = BERTH_TRY(sql::Transaction::begin(db));
    auto sel = BERTH_TRY(db.prepare(std::string("SELECT image_id FROM ") + table + " WHERE ref = ?"));
    sel.bind(1, ref.string());
    if (!BERTH_TRY(sel.step())) return no_such_image(ref.familiar_string());
    Digest id = BERTH_TRY(col_digest(sel, 0));
    auto del = BERTH_TRY(db.prepare(std::string("DELETE FROM ") + table + " WHERE ref = ?"));
    del.bind(1, ref.string());
    BERTH_TRY(del.run());
    BERTH_TRY(tx.commit());
    return id;
}

Result<Digest> ImageStore::resolve(std::string_view s) {
    // moby daemon/images GetImage: a full ID is looked up as such; otherwise a reference
    // (invalid ones are an error), then a unique ID prefix.
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    std::string_view hex = s.substr(0, 7) == "sha256:" ? s.substr(7) : s;
    if (reference::is_full_identifier(hex)) {
        Digest id = *Digest::from_hex(hex);
        if (!BERTH_TRY(image_exists(db, id))) return no_such_image(id.str());
        return id;
    }
    auto ref = reference::parse_normalized(s);
    if (!ref) return std::move(ref.error());
    reference::Reference r = ref->docker_ref();
    auto named = BERTH_TRY(db.prepare(r.has_digest() ? "SELECT image_id FROM repo_digests WHERE ref = ?"
                                                     : "SELECT image_id FROM tags WHERE ref = ?"));
    named.bind(1, r.string());
    if (BERTH_TRY(named.step())) return col_digest(named, 0);
    if (!is_hex_prefix(hex)) return no_such_image(ref->familiar_string());
    // Hex digits only, so the LIKE pattern has no wildcards of its own.
    auto st = BERTH_TRY(db.prepare("SELECT id FROM images WHERE id LIKE ? ORDER BY id LIMIT 2"));
    st.bind(1, "sha256:" + std::string(hex) + "%");
    if (!BERTH_TRY(st.step())) return no_such_image(ref->familiar_string());
    Digest first = BERTH_TRY(col_digest(st, 0));
    if (BERTH_TRY(st.step()))
        return Error::invalid("ambiguous image ID prefix \"" + std::string(s) +
                              "\": matches more than one image");
    return first;
}

Result<ImageInfo> ImageStore::get(const Digest& id) {
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto st = BERTH_TRY(db.prepare(std::string("SELECT ") + kImageColumns + " FROM images WHERE id = ?"));
    st.bind(1, id.str());
    if (!BERTH_TRY(st.step())) return no_such_image(id.str());
    ImageInfo info;
    info.image = BERTH_TRY(read_image(st));
    info.tags = BERTH_TRY(names_of(db, "tags", id));
    info.repo_digests = BERTH_TRY(names_of(db, "repo_digests", id));
    return info;
}

Result<std::vector<ImageInfo>> ImageStore::list() {
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    // One consistent snapshot for the three queries.
    BERTH_TRY(db.exec("BEGIN"));
    struct EndRead {
        sql::Db& db;
        ~EndRead() { (void)db.exec("COMMIT"); }  // read-only: COMMIT just drops the read lock
    } end_read{db};
    std::vector<ImageInfo> out;
    std::map<std::string, size_t> index;
    auto st = BERTH_TRY(
        db.prepare(std::string("SELECT ") + kImageColumns + " FROM images ORDER BY added DESC, id"));
    while (BERTH_TRY(st.step())) {
        ImageInfo info;
        info.image = BERTH_TRY(read_image(st));
        index.emplace(info.image.id.str(), out.size());
        out.push_back(std::move(info));
    }
    for (const char* table : {"tags", "repo_digests"}) {
        auto names =
            BERTH_TRY(db.prepare(std::string("SELECT image_id, ref FROM ") + table + " ORDER BY ref"));
        while (BERTH_TRY(names.step())) {
            auto it = index.find(names.text(0));
            if (it == index.end()) continue;
            auto& list =
                std::string_view(table) == "tags" ? out[it->second].tags : out[it->second].repo_digests;
            list.push_back(names.text(1));
        }
    }
    return out;
}

Result<std::vector<LayerRecord>> ImageStore::layers(const Digest& id) {
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    if (!BERTH_TRY(image_exists(db, id))) return no_such_image(id.str());
    auto st = BERTH_TRY(
        db.prepare("SELECT l.chain_id, l.diff_id, l.parent, l.size, l.refcount FROM image_layers il "
                   "JOIN layers l ON l.chain_id = il.chain_id WHERE il.image_id = ? ORDER BY il.position"));
    st.bind(1, id.str());
    std::vector<LayerRecord> out;
    while (BERTH_TRY(st.step())) out.push_back(BERTH_TRY(read_layer(st)));
    return out;
}

Result<std::optional<LayerRecord>> ImageStore::layer(const Digest& chain_id) {
    std::lock_guard lock(impl_->mu);
    auto st = BERTH_TRY(impl_->db->prepare(
        "SELECT chain_id, diff_id, parent, size, refcount FROM layers WHERE chain_id = ?"));
    st.bind(1, chain_id.str());
    if (!BERTH_TRY(st.step())) return std::optional<LayerRecord>();
    return std::optional<LayerRecord>(BERTH_TRY(read_layer(st)));
}

Result<bool> ImageStore::blob_referenced(const Digest& digest) {
    std::lock_guard lock(impl_->mu);
    auto st = BERTH_TRY(impl_->db->prepare("SELECT 1 FROM image_blobs WHERE digest = ? LIMIT 1"));
    st.bind(1, digest.str());
    return st.step();
}

Result<> ImageStore::check() {
    std::lock_guard lock(impl_->mu);
    sql::Db& db = *impl_->db;
    auto integrity = BERTH_TRY(db.prepare("PRAGMA integrity_check"));
    if (BERTH_TRY(integrity.step()) && integrity.text(0) != "ok")
        return Error::internal("image database integrity: " + integrity.text(0));
    auto fk = BERTH_TRY(db.prepare("PRAGMA foreign_key_check"));
    if (BERTH_TRY(fk.step()))
        return Error::internal("image database: dangling reference in table " + fk.text(0));
    auto rc =
        BERTH_TRY(db.prepare("SELECT chain_id, refcount, (SELECT COUNT(*) FROM image_layers il WHERE "
                             "il.chain_id = l.chain_id) AS n "
                             "FROM layers l WHERE refcount != n OR refcount = 0 LIMIT 1"));
    if (BERTH_TRY(rc.step())) {
        return Error::internal("image database: layer " + rc.text(0) + " has refcount " +
                               std::to_string(rc.int64(1)) + " but " + std::to_string(rc.int64(2)) +
                               " users");
    }
    return ok();
}

}  // namespace berth::image::store
