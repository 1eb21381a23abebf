// Rows that more than one command prints: docker's ContainerContext (ps) and imageContext
// (images) fields as strings, with their column titles. `system df -v` shows both.
#pragma once

#include <map>
#include <string>

#include "common/json.h"

namespace berth::cli {

// One container of GET /containers/json; `trunc` shortens IDs, the command and names.
Json ps_row(const Json& c, bool trunc);
extern const std::map<std::string, std::string> kPsHeaders;

// One row of the image list: the image under one repository, tag and digest.
Json image_row(const Json& img, bool trunc, const std::string& repo, const std::string& tag,
               const std::string& digest);
extern const std::map<std::string, std::string> kImageHeaders;

}  // namespace berth::cli
