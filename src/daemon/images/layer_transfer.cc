// Downloads, unpacking and commits of one pull's layers (see layer_transfer.h).
#include "daemon/images/layer_transfer.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "common/file.h"
#include "common/sys.h"

namespace berth::daemon::images {

namespace mf = image::manifest;

namespace {

// Bytes a download may run ahead of its layer's unpacking.
constexpr size_t kStreamBuffer = 2 << 20;

// A layer's bar, sent at most every 100 ms and at its end.
auto progress_bar(ProgressStream& progress, std::string status, const std::string& id, int64_t total) {
    return [&progress, status = std::move(status), id, total,
            last = std::chrono::steady_clock::time_point{}](int64_t current) mutable {
        auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(100) && current != total) return;
        last = now;
        progress.bar(status, id, current, total);
    };
}

auto extract_progress(ProgressStream& progress, const std::string& id, int64_t total) {
    return [report = progress_bar(progress, "Extracting", id, total), seen = int64_t{0}](size_t k) mutable {
        seen += static_cast<int64_t>(k);
        report(seen);
    };
}

}  // namespace

LayerTransfer::LayerTransfer(image::content::Store& content, image::snapshotter::Snapshotter& snap,
                             registry::Repository& repo, ProgressStream& progress, std::vector<Digest>& written)
    : content_(content), snap_(snap), repo_(repo), progress_(progress), written_(written) {}

LayerTransfer::~LayerTransfer() {
    stop_all();
}

void LayerTransfer::plan(const std::vector<mf::Descriptor>& layers, const std::vector<Digest>& diff_ids) {
    auto chains = mf::chain_ids(diff_ids);
    layers_.resize(layers.size());
    for (size_t i = 0; i < layers_.size(); ++i) {
        auto& l = layers_[i];
        l.desc = layers[i];
        l.diff_id = diff_ids[i];
        l.chain = chains[i];
        if (i > 0) l.parent = chains[i - 1];
        l.need_blob = !content_.exists(l.desc.digest);
        l.need_unpack = !snap_.has_layer(l.chain.str());
        if (l.need_blob) {
            l.stream = std::make_unique<LayerStream>(kStreamBuffer);
            progress_.layer("Pulling fs layer", l.desc.digest.short_id());
        } else if (!l.need_unpack) {
            progress_.layer("Already exists", l.desc.digest.short_id());
        }
    }
}

Result<> LayerTransfer::run(int threads, const std::string& what, std::vector<std::string>& committed) {
    int n = std::max(1, std::min<int>(threads, static_cast<int>(layers_.size())));
    for (int k = 0; k < n; ++k) threads_.emplace_back([this] { worker(); });
    for (auto& l : layers_) {
        {
            std::unique_lock lock(mu_);
            done_cv_.wait(lock, [&] { return l.done; });
        }
        BERTH_TRY(commit(l, what + ": layer " + l.desc.digest.str(), committed));
    }
    stop_all();
    return ok();
}

void LayerTransfer::worker() {
    for (;;) {
        size_t i = next_++;
        if (i >= layers_.size()) return;
        auto& l = layers_[i];
        if (stop_) {
            settle(l, Error::internal("pull cancelled"));
            continue;
        }
        auto r = handle(l);
        settle(l, r ? std::nullopt : std::optional<Error>(r.error()));
    }
}

void LayerTransfer::settle(Layer& l, std::optional<Error> error) {
    std::lock_guard lock(mu_);
    if (error) l.error = std::move(error);
    l.done = true;
    done_cv_.notify_all();
}

Result<> LayerTransfer::handle(Layer& l) {
    std::string id = l.desc.digest.short_id();
    bool unpack = l.need_unpack && !snap_.has_layer(l.chain.str());  // another pull may have
    if (unpack) {
        l.prepared = BERTH_TRY(snap_.prepare_layer(l.chain.str(), l.parent.empty() ? "" : l.parent.str()));
        l.target = BERTH_TRY(open_file(l.prepared->diff, O_RDONLY | O_DIRECTORY));
    }
    if (l.need_blob) return download_and_unpack(l, id, unpack);
    return unpack ? unpack_stored(l, id) : ok();
}

// The blob is in the content store already: unpack it from there.
Result<> LayerTransfer::unpack_stored(Layer& l, const std::string& id) {
    auto blob = BERTH_TRY(content_.open_blob(l.desc.digest));
    auto report = extract_progress(progress_, id, l.desc.size);
    l.applied = image::layer::apply_layer(
        [&](void* buf, size_t len) -> Result<size_t> {
            ssize_t k = sys::retry_eintr([&] { return ::read(blob.get(), buf, len); });
            if (k < 0) return Error::sys("read", l.desc.digest.str());
            report(static_cast<size_t>(k));
            return static_cast<size_t>(k);
        },
        l.target.get());
    if (!l.applied) return l.applied.error();
    return ok();
}

// Downloads the blob; with `unpack`, an extractor thread unpacks the bytes as they arrive.
Result<> LayerTransfer::download_and_unpack(Layer& l, const std::string& id, bool unpack) {
    std::thread extractor;
    if (unpack) {
        extractor = std::thread([&, report = extract_progress(progress_, id, l.desc.size)]() mutable {
            image::layer::ApplyOptions options;
            options.digest_input = false;  // the content-store writer checks the digest
            l.applied = image::layer::apply_layer(
                [&](void* buf, size_t len) -> Result<size_t> {
                    size_t k = BERTH_TRY(l.stream->read(buf, len));
                    report(k);
                    return k;
                },
                l.target.get(), options);
            if (!l.applied) l.stream->cancel();  // stops the download
        });
    }
    auto fetched = download(l, id, extractor.joinable());
    l.stream->finish(fetched ? std::nullopt : std::optional<Error>(fetched.error()));
    if (!extractor.joinable()) return fetched;
    extractor.join();
    // A failed download reaches the extractor as its read error; a failed extraction
    // reaches the download as "extraction stopped": the extraction's error says more.
    if (!l.applied) return l.applied.error();
    return fetched;
}

Result<> LayerTransfer::download(Layer& l, const std::string& id, bool stream) {
    auto w = BERTH_TRY(content_.writer(l.desc.digest, l.desc.size));
    auto report = progress_bar(progress_, "Downloading", id, l.desc.size);
    BERTH_TRY(repo_.fetch_blob(
        l.desc.digest.str(),
        [&](std::string_view data) -> Result<> {
            BERTH_TRY(w.write(data));
            return stream ? l.stream->push(data) : ok();
        },
        [&](int64_t done, int64_t) { report(done); }, l.desc.size));
    progress_.layer("Verifying Checksum", id);
    BERTH_TRY(w.commit());
    {
        std::lock_guard lock(mu_);
        written_.push_back(l.desc.digest);
    }
    progress_.layer("Download complete", id);
    return ok();
}

// A settled layer: its unpacked content checked against the manifest and the config, then
// committed.
Result<> LayerTransfer::commit(Layer& l, const std::string& what, std::vector<std::string>& committed) {
    if (l.error) return Error(*l.error).with_context(what);
    if (!l.need_unpack) return ok();
    if (l.prepared) {
        l.target.reset();
        // (Empty when streamed: the blob's writer checked it before the stream ended.)
        if (!l.applied->digest.empty() && l.applied->digest != l.desc.digest.str())
            return Error::invalid(what + ": digest mismatch: got " + l.applied->digest);
        if (l.applied->diff_id != l.diff_id.str())
            return Error::invalid(what + ": content does not match the image config: diff ID " +
                                  l.applied->diff_id + ", config says " + l.diff_id.str());
        BERTH_TRY_CTX(snap_.commit(*l.prepared), what);
        l.prepared.reset();
        committed.push_back(l.chain.str());
    }
    progress_.layer("Pull complete", l.desc.digest.short_id());
    return ok();
}

void LayerTransfer::stop_all() {
    stop_ = true;
    for (auto& l : layers_)
        if (l.stream) l.stream->cancel();
    for (auto& t : threads_) t.join();
    threads_.clear();
    for (auto& l : layers_) {
        l.target.reset();
        if (l.prepared) (void)snap_.abort(*l.prepared);  // a temp dir: Snapshotter::open clears it
        l.prepared.reset();
    }
}

}  // namespace berth::daemon::images
