#include "daemon/events/events.h"

#include <algorithm>

namespace berth::daemon {

int64_t now_nano() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Json Event::to_json() const {
    Json attrs = Json::object();
    for (auto& [k, v] : attributes) attrs[k] = v;
    Json j = {{"Type", type},
              {"Action", action},
              {"Actor", {{"ID", actor_id}, {"Attributes", attrs}}},
              {"scope", scope},
              {"time", time_nano / 1000000000},
              {"timeNano", time_nano}};
    if (type == "container" || type == "image") {
        // Fields of the pre-1.22 format that the docker CLI still prints in places.
        j["status"] = action;
        j["id"] = actor_id;
        if (auto it = attributes.find("image"); it != attributes.end()) j["from"] = it->second;
    }
    return j;
}

namespace {
bool any_of_values(const std::vector<std::string>& wanted, const std::string& value) {
    return std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}
}  // namespace

bool labels_match(const Json& labels, const std::vector<std::string>& wanted) {
    for (auto& w : wanted) {
        auto eq = w.find('=');
        std::string key = w.substr(0, eq);
        if (!labels.is_object() || !labels.contains(key)) return false;
        if (eq != std::string::npos &&
            (!labels[key].is_string() || labels[key].get<std::string>() != w.substr(eq + 1)))
            return false;
    }
    return true;
}

bool labels_match(const std::map<std::string, std::string>& labels, const std::vector<std::string>& wanted) {
    for (auto& w : wanted) {
        auto eq = w.find('=');
        auto it = labels.find(w.substr(0, eq));
        if (it == labels.end()) return false;
        if (eq != std::string::npos && it->second != w.substr(eq + 1)) return false;
    }
    return true;
}

bool event_matches(const Event& ev, const EventFilters& filters) {
    for (auto& [key, values] : filters) {
        if (values.empty()) continue;
        auto attr = [&](const char* k) {
            auto it = ev.attributes.find(k);
            return it == ev.attributes.end() ? std::string() : it->second;
        };
        bool ok = false;
        if (key == "type")
            ok = any_of_values(values, ev.type);
        else if (key == "event") {
            // "exec_start" matches "exec_start: sh -c ..." as in Docker.
            for (auto& v : values) ok |= ev.action == v || ev.action.rfind(v + ":", 0) == 0;
        } else if (key == "container") {
            if (ev.type != "container") return false;
            for (auto& v : values)
                ok |=
                    v == ev.actor_id || v == attr("name") || (v.size() >= 12 && ev.actor_id.rfind(v, 0) == 0);
        } else if (key == "image") {
            for (auto& v : values) ok |= v == attr("image") || v == ev.actor_id || v == attr("name");
        } else if (key == "label") {
            for (auto& v : values) {
                auto eq = v.find('=');
                std::string k = v.substr(0, eq);
                auto it = ev.attributes.find(k);
                ok |=
                    it != ev.attributes.end() && (eq == std::string::npos || it->second == v.substr(eq + 1));
            }
        } else if (key == "network" || key == "volume" || key == "daemon") {
            if (ev.type != key) return false;
            for (auto& v : values) ok |= v == ev.actor_id || v == attr("name");
        } else if (key == "scope") {
            ok = any_of_values(values, ev.scope);
        } else {
            ok = true;  // unknown filter keys are rejected by the API layer before this
        }
        if (!ok) return false;
    }
    return true;
}

Subscription::~Subscription() {
    if (bus_) bus_->unsubscribe(this);
}

bool Subscription::closed() const {
    std::lock_guard<std::mutex> lock(bus_->mu_);
    return closed_;
}

std::optional<Event> Subscription::next(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(bus_->mu_);
    bus_->cv_.wait_until(lock, deadline, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    Event ev = std::move(queue_.front());
    queue_.pop_front();
    return ev;
}

EventBus::~EventBus() {
    close();
}

void EventBus::publish(Event ev) {
    if (ev.time_nano == 0) ev.time_nano = now_nano();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* s : subs_)
        if (event_matches(ev, s->filters_)) s->queue_.push_back(ev);
    history_.push_back(std::move(ev));
    if (history_.size() > max_history_) history_.pop_front();
    cv_.notify_all();
}

std::unique_ptr<Subscription> EventBus::subscribe(EventFilters filters, int64_t since_nano) {
    auto s = std::unique_ptr<Subscription>(new Subscription());
    s->bus_ = this;
    s->filters_ = std::move(filters);
    std::lock_guard<std::mutex> lock(mu_);
    if (since_nano > 0)
        for (auto& ev : history_)
            if (ev.time_nano >= since_nano && event_matches(ev, s->filters_)) s->queue_.push_back(ev);
    s->closed_ = closed_;
    subs_.push_back(s.get());
    return s;
}

std::vector<Event> EventBus::history(const EventFilters& filters, int64_t since_nano,
                                     int64_t until_nano) const {
    std::vector<Event> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& ev : history_)
        if (ev.time_nano >= since_nano && ev.time_nano <= until_nano && event_matches(ev, filters))
            out.push_back(ev);
    return out;
}

void EventBus::close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto* s : subs_) s->closed_ = true;
    cv_.notify_all();
}

void EventBus::unsubscribe(Subscription* s) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase(subs_, s);
}

}  // namespace berth::daemon
