#pragma once
// What credential sources answer, parsed (pure). Each parser takes the bytes
// as received and returns credentials or an error saying what was wrong with
// them (never quoting a secret); callers prefix the provider's name.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_json.hpp"
#include "ddb/core/credentials.hpp"
#include "ddb/error.hpp"

namespace ddb::auth {

using sys_time = std::chrono::system_clock::time_point;

// "2026-11-21T13:05:00Z", with optional fractional seconds and a Z or
// +hh:mm / -hh:mm offset.
result<sys_time> parse_iso8601(std::string_view s);
std::string format_iso8601(sys_time t);
// An HTTP Date header (IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
result<sys_time> parse_http_date(std::string_view s);

using detail::json_member;  // core/flat_json.hpp: a flat JSON object's members, wiped when released
using detail::parse_flat_object;

// credential_process output: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken"?, "Expiration"?}.
result<credentials> parse_process_output(std::string_view json);

// Container and instance-metadata answers: {"AccessKeyId", "SecretAccessKey",
// "Token", "Expiration"} (instance metadata adds "Code": "Success").
result<credentials> parse_metadata_credentials(std::string_view json);

// STS AssumeRole / AssumeRoleWithWebIdentity: the XML response's
// <Credentials>, or the <Error>'s code and message for an error response.
result<credentials> parse_sts_response(std::string_view xml, unsigned http_status);
// The text of the first <tag>...</tag>, entities decoded; empty when absent.
std::string xml_text(std::string_view xml, std::string_view tag);

// application/x-www-form-urlencoded (RFC 3986 unreserved kept, the rest %XX).
std::string form_encode(std::string_view s);

// "****************ABCD": what the AWS CLI shows of a key.
std::string mask_secret(std::string_view s);

}  // namespace ddb::auth
