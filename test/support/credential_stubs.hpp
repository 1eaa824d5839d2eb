#pragma once
// Loopback stand-ins for the credential sources (instance metadata, a
// container agent, STS) and the bits of their protocols the tests share.
#include <atomic>
#include <chrono>
#include <string>

#include "credentials/parse.hpp"
#include "support/aws_env.hpp"
#include "support/fault_server.hpp"

namespace ddb::test::stubs {

inline action http(unsigned code, const std::string& body, const std::string& extra = {}) {
  return action::raw("HTTP/1.1 " + std::to_string(code) + " X\r\n" + extra + "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
}

inline std::string request_line(const request_info& r) { return r.head.substr(0, r.head.find("\r\n")); }

inline std::string key_id_of(const request_info& r) {
  const std::string auth = header_value(r.head, "Authorization");
  const auto at = auth.find("Credential=");
  if (at == std::string::npos) return {};
  return auth.substr(at + 11, auth.find('/', at) - at - 11);
}

inline std::string expiry_in(std::chrono::seconds s, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
  return auth::format_iso8601(now + s);
}

inline std::string creds_json(const std::string& key, const std::string& expiration, const char* token_name = "Token") {
  return R"({"AccessKeyId":")" + key + R"(","SecretAccessKey":"secret-)" + key + R"(",")" + token_name + R"(":"tok-)" +
         key + R"(","Expiration":")" + expiration + R"("})";
}

// STS's answer to AssumeRole / AssumeRoleWithWebIdentity (action_name).
inline action sts_answer(const std::string& action_name, const std::string& key) {
  return http(200, "<" + action_name + "Response><" + action_name + "Result><Credentials><AccessKeyId>" + key +
                       "</AccessKeyId><SecretAccessKey>secret-" + key + "</SecretAccessKey><SessionToken>tok-" + key +
                       "</SessionToken><Expiration>" + expiry_in(std::chrono::hours(1)) + "</Expiration></Credentials></" +
                       action_name + "Result></" + action_name + "Response>",
              "Content-Type: text/xml\r\n");
}

// IMDSv2 as EC2 serves it: a token from PUT, required (401 without) on every GET.
struct imds_stub {
  std::atomic<int> token_requests{0}, credential_requests{0}, unauthorized{0};
  bool attach_role = true;
  fault_server server{[this](const request_info& r) { return answer(r); }};

  action answer(const request_info& r) {
    const std::string line = request_line(r);
    if (line.rfind("PUT /latest/api/token ", 0) == 0) {
      ++token_requests;
      if (header_value(r.head, "X-aws-ec2-metadata-token-ttl-seconds").empty()) return http(400, "missing TTL");
      return http(200, "IMDS-SESSION-TOKEN");
    }
    if (header_value(r.head, "X-aws-ec2-metadata-token") != "IMDS-SESSION-TOKEN") {
      ++unauthorized;
      return http(401, "");
    }
    if (line.rfind("GET /latest/meta-data/iam/security-credentials/ ", 0) == 0)
      return attach_role ? http(200, "ddb-test-role") : http(404, "");
    if (line.rfind("GET /latest/meta-data/iam/security-credentials/ddb-test-role ", 0) == 0) {
      ++credential_requests;
      return http(200, R"({"Code":"Success","LastUpdated":"2026-11-21T12:00:00Z","Type":"AWS-HMAC",)" +
                           creds_json("ASIAIMDS", expiry_in(std::chrono::hours(6))).substr(1));
    }
    return http(404, "");
  }
};

}  // namespace ddb::test::stubs
