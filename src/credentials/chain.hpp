#pragma once
// Choosing where credentials come from (pure): the environment and the
// shared files in, a plan out. The plan says which provider to run and with
// what; src/credentials/providers.cpp runs it. See ddb/credentials.hpp for the order.
#include <memory>
#include <optional>
#include <string>

#include "credentials/shared_config.hpp"
#include "ddb/credentials.hpp"
#include "ddb/error.hpp"

namespace ddb::auth {

struct source {
  enum class kind { static_keys, process, web_identity, assume_role, container, imds };
  kind what = kind::static_keys;
  std::string name;      // the AWS CLI's name: "env", "shared-credentials-file", "iam-role", ...
  std::string location;  // where it was configured, for messages and `ddb configure list`

  credentials keys;                 // static_keys
  std::string command;              // process
  std::string role_arn, session_name, token_file, external_id;  // web_identity, assume_role
  int duration_seconds = 0;         // assume_role; 0 = STS default
  std::string sts_endpoint;         // web_identity, assume_role
  std::string region;               // assume_role's signing region
  std::shared_ptr<const source> base;  // assume_role: the credentials that call STS
  std::string url;                  // container: the full URL; imds: the endpoint
  std::string auth_token, auth_token_file;  // container
  credentials_options options;      // timeouts (with the environment's overrides)
};

struct planned_settings {
  std::string profile, profile_source;
  std::string region, region_source;
  std::string endpoint_url, endpoint_source;
  std::string ca_file, ca_source;  // extra trusted CAs: settings_input::ca_file, AWS_CA_BUNDLE, the profile's ca_bundle
  std::optional<source> credentials;  // empty when the settings_input names them itself
};

// Applies the AWS precedence rules (config.hpp, credentials.hpp). Errors
// name the setting, file and line to fix.
result<planned_settings> plan_settings(const settings_input& cfg, const env_lookup& env, const shared_files& files);

}  // namespace ddb::auth
