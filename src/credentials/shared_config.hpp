#pragma once
// The AWS shared files (~/.aws/config and ~/.aws/credentials), pure: text in,
// profiles out. Reading the files is the only I/O, in load_shared_files.
//
// Format (the one the AWS CLI and SDKs accept):
//   [default]            a profile (credentials file: [NAME]; config file: [profile NAME] or [default])
//   name = value         '=' or ':'; names are case-sensitive, values trimmed
//   # comment, ; comment whole lines; in a value, '#' or ';' after white space starts a comment
//   s3 =                 an empty value followed by indented lines holds
//     max_concurrency = 4  sub-settings, kept as "s3.max_concurrency"
// Sections the SDKs use for other things ([sso-session x], [services x]) are
// skipped. A later section with the same name adds to (and overrides) an
// earlier one. Settings from the credentials file win over the config file.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "ddb/core/secret.hpp"
#include "ddb/error.hpp"

namespace ddb::auth {

using detail::env_lookup;

// Values may be secret keys: wiped when released.
struct ini_entry {
  std::string name;
  std::string value;
  int line = 0;
  ~ini_entry() { secure_wipe(value.data(), value.capacity()); }
};
struct ini_section {
  std::string name;
  int line = 0;
  std::vector<ini_entry> entries;
};

// Errors say "<file>:<line>: <what is wrong>".
result<std::vector<ini_section>> parse_ini(std::string_view text, std::string_view file_name);

struct setting {
  std::string value;
  std::string origin;  // "<file>:<line>"
  ~setting() { secure_wipe(value.data(), value.capacity()); }
};

struct profile {
  std::string name;
  std::map<std::string, setting> settings;
  const setting* find(std::string_view key) const {
    auto it = settings.find(std::string(key));
    return it == settings.end() ? nullptr : &it->second;
  }
  const std::string* get(std::string_view key) const {
    const setting* s = find(key);
    return s && !s->value.empty() ? &s->value : nullptr;
  }
};

struct shared_files {
  std::string config_path, credentials_path;
  bool config_found = false, credentials_found = false;
  std::map<std::string, profile> profiles;
  const profile* find(std::string_view name) const {
    auto it = profiles.find(std::string(name));
    return it == profiles.end() ? nullptr : &it->second;
  }
  // "(~/.aws/config and ~/.aws/credentials)", noting missing files: for messages.
  std::string describe() const;
};

// Merges the two files' sections into profiles.
result<shared_files> merge_shared_files(const std::vector<ini_section>& config, std::string config_path,
                                        const std::vector<ini_section>& creds, std::string credentials_path);

// The paths the SDKs use: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else
// ~/.aws/config and ~/.aws/credentials ("~" is HOME).
std::string config_file_path(const env_lookup& env);
std::string credentials_file_path(const env_lookup& env);

// Reads and merges both files. A missing file counts as empty; a file that
// exists but cannot be read, or is malformed, is an error naming it.
result<shared_files> load_shared_files(const env_lookup& env);

}  // namespace ddb::auth
