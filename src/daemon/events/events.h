// The daemon's event bus: every container, image, network and volume transition is
// published here as a Docker event message, kept in a bounded history (for `since`) and
// delivered to subscribers (GET /events streams). Thread-safe.
//
//   bus.publish({.type = "container", .action = "start", .actor_id = id, .attributes = {...}});
//   auto sub = bus.subscribe(filters, since);    // replays history newer than `since`
//   while (auto ev = sub->next(deadline)) ...    // blocks until an event or the deadline
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"

namespace berth::daemon {

struct Event {
    std::string type;    // container, image, network, volume, daemon
    std::string action;  // create, start, die, ...
    std::string actor_id;
    std::map<std::string, std::string> attributes;  // name, image, exitCode, ...
    std::string scope = "local";
    int64_t time_nano = 0;  // set by publish()

    // Docker's JSON message (with the legacy status/id/from fields for containers).
    Json to_json() const;
};

// Docker's event filters: type, event (action), container, image, label, network,
// volume, daemon, scope.
using EventFilters = std::map<std::string, std::vector<std::string>>;
bool event_matches(const Event& ev, const EventFilters& filters);
// Docker's label filters, shared by every list and prune: each "key" or "key=value" of
// `wanted` is on `labels` (a JSON object of strings).
bool labels_match(const Json& labels, const std::vector<std::string>& wanted);
bool labels_match(const std::map<std::string, std::string>& labels, const std::vector<std::string>& wanted);

class EventBus;

class Subscription {
public:
    ~Subscription();
    // Next matching event; nullopt at the deadline or once the bus is closed.
    std::optional<Event> next(std::chrono::steady_clock::time_point deadline);
    bool closed() const;

private:
    friend class EventBus;
    EventBus* bus_ = nullptr;
    EventFilters filters_;
    std::deque<Event> queue_;
    bool closed_ = false;
};

class EventBus {
public:
    explicit EventBus(size_t history = 1024) : max_history_(history) {}
    ~EventBus();
    void publish(Event ev);
    // Subscribes; events since `since_nano` (0: none) are replayed first.
    std::unique_ptr<Subscription> subscribe(EventFilters filters, int64_t since_nano = 0);
    // Past events in [since, until] that match (for a request with `until` in the past).
    std::vector<Event> history(const EventFilters& filters, int64_t since_nano, int64_t until_nano) const;
    void close();  // wakes every subscriber (daemon shutdown)

private:
    friend class Subscription;
    void unsubscribe(Subscription* s);

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> history_;
    size_t max_history_;
    std::vector<Subscription*> subs_;
    bool closed_ = false;
};

int64_t now_nano();

}  // namespace berth::daemon
