// Private: what a Request asks of the connection it arrived on (implemented in
// connection.cc). Kept apart so request.h stays free of Asio.
#pragma once

#include <memory>
#include <string_view>

#include "api/server/request.h"

namespace berth::api::detail {

class Exchange {
public:
    virtual ~Exchange() = default;
    // nullptr unless the route streams its body.
    virtual std::unique_ptr<BodyReader> body_reader() = 0;
    virtual Result<std::shared_ptr<ResponseStream>> start_stream(int status, Headers headers) = 0;
    virtual Result<std::shared_ptr<HijackedStream>> hijack(std::string_view content_type, bool upgrade) = 0;
};

}  // namespace berth::api::detail
