// Private: the nft command text Firewall runs (see firewall.h for the table's layout). Built
// here, apart from libnftables, so it is unit-tested without root. Every name and address is
// validated before it is put into the text, so input can never inject nft syntax.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "hostnet/firewall.h"

namespace berth::hostnet::ruleset {

Result<> check_table_name(const std::string& table);
// Idempotent: creates what is missing and rewrites the DNAT jump chains (they hold only
// our fixed rules), leaving map elements and bridge rules alone.
std::string base(const std::string& table);
// "add rule" commands for one bridge, each tagged with bridge_comment().
Result<std::string> bridge_rules(const std::string& table, const BridgeRules& rules);
std::string bridge_comment(const std::string& bridge);
// From `nft -j -a list table` output (ip or bridge family): "delete rule ... handle N" for
// the bridge's rules.
Result<std::string> delete_bridge_rules(const std::string& table, const std::string& bridge,
                                        const std::string& json_listing);
// "add element" (or "delete element" keys only) commands for the two port maps.
Result<std::string> port_elements(const std::string& table, const std::vector<PortMapping>& ports, bool add);

}  // namespace berth::hostnet::ruleset
