#include "credentials/chain.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <set>

namespace ddb::auth {
namespace {

const char* non_empty(const env_lookup& env, const char* name) {
  const char* v = env ? env(name) : nullptr;
  return v && *v ? v : nullptr;
}

bool is_true(const char* v) {
  if (!v) return false;
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s == "true";
}

failure config_error(const std::string& what) { return fail(errc::invalid_credentials, what); }

std::string where(const profile& p, const char* key) {
  const setting* s = p.find(key);
  return "profile " + p.name + (s ? " (" + s->origin + ")" : std::string());
}

// Environment overrides of the metadata timeouts, as the SDKs read them.
result<credentials_options> with_env_overrides(credentials_options o, const env_lookup& env) {
  if (const char* t = non_empty(env, "AWS_METADATA_SERVICE_TIMEOUT")) {
    char* end = nullptr;
    const double secs = std::strtod(t, &end);
    if (*end != '\0' || !(secs > 0) || secs > 3600)
      return config_error("AWS_METADATA_SERVICE_TIMEOUT='" + std::string(t) + "' must be a number of seconds above 0");
    o.imds_timeout = o.container_timeout = std::chrono::milliseconds(static_cast<long long>(secs * 1000));
  }
  if (const char* n = non_empty(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS")) {
    char* end = nullptr;
    const long v = std::strtol(n, &end, 10);
    if (*end != '\0' || v < 1 || v > 10)
      return config_error("AWS_METADATA_SERVICE_NUM_ATTEMPTS='" + std::string(n) + "' must be a whole number 1 to 10");
    o.imds_attempts = static_cast<int>(v);
  }
  return o;
}

std::string sts_endpoint(const env_lookup& env, const std::string& region, const std::string& profile_endpoint) {
  if (const char* v = non_empty(env, "AWS_ENDPOINT_URL_STS")) return v;
  if (const char* v = non_empty(env, "AWS_ENDPOINT_URL")) return v;
  if (!profile_endpoint.empty()) return profile_endpoint;
  return region.empty() ? "https://sts.amazonaws.com" : "https://sts." + region + ".amazonaws.com";
}

class planner {
 public:
  planner(const env_lookup& env, const shared_files& files, credentials_options opt, std::string region,
          std::string profile_endpoint)
      : env_(env), files_(files), opt_(std::move(opt)), region_(std::move(region)),
        profile_endpoint_(std::move(profile_endpoint)) {}

  result<std::optional<source>> environment_keys() {
    const char* id = non_empty(env_, "AWS_ACCESS_KEY_ID");
    const char* secret = non_empty(env_, "AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return std::optional<source>();
    if (!id || !secret)
      return config_error(std::string(id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                         : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") +
                          ": set both, or unset both to use a profile or another provider");
    source s = base("env", "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY", source::kind::static_keys);
    s.keys.access_key_id = id;
    s.keys.secret_access_key = secret_string(secret);
    if (const char* token = non_empty(env_, "AWS_SESSION_TOKEN")) s.keys.session_token = secret_string(token);
    return std::optional<source>(std::move(s));
  }

  // The credentials a profile yields, or nothing when it configures none.
  result<std::optional<source>> from_profile(const profile& p, std::set<std::string>& visited) {
    visited.insert(p.name);
    if (const std::string* role = p.get("role_arn")) return assume_role(p, *role, visited);
    const std::string* id = p.get("aws_access_key_id");
    const std::string* secret = p.get("aws_secret_access_key");
    if (id || secret) {
      if (!id || !secret)
        return config_error(where(p, id ? "aws_access_key_id" : "aws_secret_access_key") + " has " +
                            (id ? "aws_access_key_id but no aws_secret_access_key" : "aws_secret_access_key but no aws_access_key_id") +
                            ": add the missing one (aws configure --profile " + p.name + ")");
      const setting* origin = p.find("aws_access_key_id");
      const bool in_config = origin->origin.rfind(files_.config_path + ":", 0) == 0;
      source s = base(in_config ? "config-file" : "shared-credentials-file", where(p, "aws_access_key_id"),
                      source::kind::static_keys);
      s.keys.access_key_id = *id;
      s.keys.secret_access_key = secret_string(*secret);
      if (const std::string* t = p.get("aws_session_token")) s.keys.session_token = secret_string(*t);
      return std::optional<source>(std::move(s));
    }
    if (const std::string* cmd = p.get("credential_process")) {
      source s = base("custom-process", where(p, "credential_process"), source::kind::process);
      s.command = *cmd;
      return std::optional<source>(std::move(s));
    }
    if (p.get("sso_session") || p.get("sso_start_url"))
      return config_error(where(p, p.get("sso_session") ? "sso_session" : "sso_start_url") +
                          " uses IAM Identity Center (SSO), which ddb does not sign in to: add "
                          "'credential_process = aws configure export-credentials --profile " + p.name +
                          " --format process' to the profile, or export the keys to the environment");
    return std::optional<source>();
  }

  result<std::optional<source>> web_identity_from_env() {
    const char* file = non_empty(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char* role = non_empty(env_, "AWS_ROLE_ARN");
    if (!file && !role) return std::optional<source>();
    if (!file || !role)
      return config_error(std::string(file ? "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"
                                           : "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not") +
                          ": web identity needs both (set the missing one, or unset both)");
    source s = base("assume-role-with-web-identity", "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN",
                    source::kind::web_identity);
    s.role_arn = role;
    s.token_file = file;
    if (const char* n = non_empty(env_, "AWS_ROLE_SESSION_NAME")) s.session_name = n;
    s.sts_endpoint = sts_endpoint(env_, region_, profile_endpoint_);
    return std::optional<source>(std::move(s));
  }

  result<std::optional<source>> container() {
    const char* rel = non_empty(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char* full = non_empty(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!rel && !full) return std::optional<source>();
    source s = base("container-role", rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    source::kind::container);
    if (rel) {
      if (rel[0] != '/')
        return config_error("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='" + std::string(rel) + "' must start with '/'");
      s.url = "http://169.254.170.2" + std::string(rel);
    } else {
      s.url = full;
      auto ok = full_uri_allowed(s.url);
      if (!ok) return std::move(ok).error();
    }
    if (const char* f = non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) s.auth_token_file = f;
    else if (const char* t = non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) s.auth_token = t;
    return std::optional<source>(std::move(s));
  }

  result<std::optional<source>> instance_metadata() {
    if (is_true(non_empty(env_, "AWS_EC2_METADATA_DISABLED"))) return std::optional<source>();
    source s = base("iam-role", "instance metadata", source::kind::imds);
    if (const char* e = non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      s.url = e;
      s.location = "instance metadata at " + s.url + " (AWS_EC2_METADATA_SERVICE_ENDPOINT)";
    } else {
      const char* mode = non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
      const bool v6 = mode && (std::string(mode) == "IPv6" || std::string(mode) == "ipv6");
      s.url = v6 ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
      s.location = "instance metadata at " + s.url;
    }
    return std::optional<source>(std::move(s));
  }

  source base(std::string name, std::string location, source::kind k) const {
    source s;
    s.what = k;
    s.name = std::move(name);
    s.location = std::move(location);
    s.options = opt_;
    s.region = region_;
    return s;
  }

 private:
  result<std::optional<source>> assume_role(const profile& p, const std::string& role, std::set<std::string>& visited) {
    if (p.get("mfa_serial"))
      return config_error(where(p, "mfa_serial") + " needs an MFA code, which ddb cannot prompt for: use a "
                          "credential_process that supplies the session (e.g. aws configure export-credentials)");
    if (const std::string* token_file = p.get("web_identity_token_file")) {
      source s = base("assume-role-with-web-identity", where(p, "web_identity_token_file"), source::kind::web_identity);
      s.role_arn = role;
      s.token_file = *token_file;
      if (const std::string* n = p.get("role_session_name")) s.session_name = *n;
      s.sts_endpoint = sts_endpoint(env_, region_, profile_endpoint_);
      return std::optional<source>(std::move(s));
    }
    const std::string* src_profile = p.get("source_profile");
    const std::string* cred_source = p.get("credential_source");
    if (src_profile && cred_source)
      return config_error(where(p, "role_arn") + " has both source_profile and credential_source: keep one");
    source s = base("assume-role", where(p, "role_arn"), source::kind::assume_role);
    s.role_arn = role;
    if (const std::string* n = p.get("role_session_name")) s.session_name = *n;
    if (const std::string* x = p.get("external_id")) s.external_id = *x;
    if (const std::string* d = p.get("duration_seconds")) {
      char* end = nullptr;
      const long v = std::strtol(d->c_str(), &end, 10);
      if (*end != '\0' || v < 900 || v > 43200)
        return config_error(where(p, "duration_seconds") + ": duration_seconds must be 900 to 43200, got '" + *d + "'");
      s.duration_seconds = static_cast<int>(v);
    }
    s.sts_endpoint = sts_endpoint(env_, region_, profile_endpoint_);
    std::optional<source> inner;
    if (src_profile) {
      const profile* sp = files_.find(*src_profile);
      if (!sp)
        return config_error(where(p, "source_profile") + " names source_profile '" + *src_profile +
                            "', which is in neither " + files_.describe());
      if (sp->name == p.name) {
        // A profile that is its own source: its own keys call STS.
        profile keys_only = *sp;
        keys_only.settings.erase("role_arn");
        auto r = from_profile(keys_only, visited);
        if (!r) return std::move(r).error();
        inner = std::move(*r);
      } else {
        if (visited.count(sp->name))
          return config_error(where(p, "source_profile") + ": source_profile '" + sp->name +
                              "' leads back to itself (a cycle): point one of them at keys");
        auto r = from_profile(*sp, visited);
        if (!r) return std::move(r).error();
        inner = std::move(*r);
      }
      if (!inner)
        return config_error(where(p, "source_profile") + ": source profile '" + *src_profile +
                            "' has no credentials (add aws_access_key_id/aws_secret_access_key, credential_process or role_arn to it)");
    } else if (cred_source) {
      const std::string& cs = *cred_source;
      result<std::optional<source>> r = std::optional<source>();
      if (cs == "Environment") r = environment_keys();
      else if (cs == "Ec2InstanceMetadata") r = instance_metadata_always();
      else if (cs == "EcsContainer") r = container();
      else
        return config_error(where(p, "credential_source") + ": credential_source '" + cs +
                            "' is not one of Environment, Ec2InstanceMetadata, EcsContainer");
      if (!r) return std::move(r).error();
      if (!*r)
        return config_error(where(p, "credential_source") + ": credential_source " + cs +
                            " has nothing to offer (" +
                            (cs == "Environment" ? "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                                                 : "set AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI") + ")");
      inner = std::move(*r);
    } else {
      return config_error(where(p, "role_arn") + " has role_arn but no source_profile, credential_source or "
                          "web_identity_token_file: add one to say which credentials assume the role");
    }
    s.base = std::make_shared<const source>(std::move(*inner));
    return std::optional<source>(std::move(s));
  }

  result<std::optional<source>> instance_metadata_always() {
    auto r = instance_metadata();
    if (!r) return r;
    if (!*r)
      return config_error("credential_source Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED=true turns instance metadata off");
    return r;
  }

  static result<void> full_uri_allowed(const std::string& url) {
    auto refuse = [&](const std::string& why) {
      return config_error("AWS_CONTAINER_CREDENTIALS_FULL_URI='" + url + "' " + why);
    };
    const bool https = url.rfind("https://", 0) == 0;
    if (!https && url.rfind("http://", 0) != 0) return refuse("must start with http:// or https://");
    if (https) return {};
    // Plain HTTP only to the container agents' link-local addresses or this machine.
    std::string rest = url.substr(7);
    std::string host;
    if (!rest.empty() && rest[0] == '[') {
      host = rest.substr(1, rest.find(']') == std::string::npos ? 0 : rest.find(']') - 1);
    } else {
      host = rest.substr(0, rest.find_first_of(":/"));
    }
    const bool ipv4_literal = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
    if (host == "localhost" || host == "::1" || (ipv4_literal && host.rfind("127.", 0) == 0) || host == "169.254.170.2" ||
        host == "169.254.170.23" || host == "fd00:ec2::23")
      return {};
    return refuse("uses plain HTTP to a host that is neither loopback nor a container agent (169.254.170.2, "
                  "169.254.170.23, fd00:ec2::23): use https://");
  }

  const env_lookup& env_;
  const shared_files& files_;
  credentials_options opt_;
  std::string region_;
  std::string profile_endpoint_;
};

bool valid_region(const std::string& r) {
  return std::all_of(r.begin(), r.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

// A setting's value and where it came from.
struct sourced {
  std::string value;
  std::string source;
};

// The first candidate with a value, in order of precedence.
std::optional<sourced> first_set(std::initializer_list<std::optional<sourced>> candidates) {
  for (const auto& c : candidates)
    if (c && !c->value.empty()) return c;
  return std::nullopt;
}

std::optional<sourced> from_config(const settings_input& in, const std::string& value, const char* name) {
  return sourced{value, in.origin + "::" + name};
}
std::optional<sourced> from_env(const env_lookup& env, const char* name) {
  const char* v = non_empty(env, name);
  return v ? std::optional<sourced>(sourced{v, name}) : std::nullopt;
}
std::optional<sourced> in_profile(const profile* p, const char* key) {
  const std::string* v = p ? p->get(key) : nullptr;
  if (!v) return std::nullopt;
  return sourced{*v, "profile " + p->name + " (" + p->find(key)->origin + ")"};
}

}  // namespace

result<planned_settings> plan_settings(const settings_input& cfg, const env_lookup& env, const shared_files& files) {
  planned_settings out;
  const auto named = first_set({from_config(cfg, cfg.profile, "profile"), from_env(env, "AWS_PROFILE")});
  const bool explicit_profile = named.has_value();
  out.profile = named ? named->value : "default";
  out.profile_source = named ? named->source : "default";
  const profile* prof = files.find(out.profile);
  if (!prof && explicit_profile)
    return config_error("profile '" + out.profile + "' (from " + out.profile_source + ") is in neither " +
                        files.describe() + ": create it (aws configure --profile " + out.profile +
                        ") or choose another profile");

  const auto region = first_set({from_config(cfg, cfg.region, "region"), from_env(env, "AWS_REGION"),
                                 from_env(env, "AWS_DEFAULT_REGION"), in_profile(prof, "region")});
  if (!region)
    return fail(errc::invalid_config, "no AWS region: set " + cfg.origin + "::region, AWS_REGION or AWS_DEFAULT_REGION, or "
                                      "'region' in profile " + out.profile + " (" + files.config_path + ")");
  out.region = region->value;
  out.region_source = region->source;
  if (!valid_region(out.region))
    return fail(errc::invalid_config, "region '" + out.region + "' (from " + out.region_source +
                                          ") may hold only letters, digits and '-'");

  const std::string* profile_endpoint = prof ? prof->get("endpoint_url") : nullptr;
  const bool streams = cfg.streams;
  const auto endpoint = first_set({from_config(cfg, cfg.endpoint, "endpoint"),
                                   from_env(env, streams ? "AWS_ENDPOINT_URL_DYNAMODB_STREAMS" : "AWS_ENDPOINT_URL_DYNAMODB"),
                                   from_env(env, "AWS_ENDPOINT_URL"), in_profile(prof, "endpoint_url")});
  out.endpoint_url = endpoint ? endpoint->value
                              : std::string(streams ? "https://streams.dynamodb." : "https://dynamodb.") + out.region +
                                    ".amazonaws.com";
  out.endpoint_source = endpoint ? endpoint->source : "default for region " + out.region;

  // Extra certificate authorities, as the AWS CLI and SDKs take them.
  if (const auto ca = first_set({from_config(cfg, cfg.ca_file, "ca_file"), from_env(env, "AWS_CA_BUNDLE"),
                                 in_profile(prof, "ca_bundle")})) {
    out.ca_file = ca->value;
    out.ca_source = ca->source;
  }

  if (cfg.credentials || cfg.credentials_provider) return out;

  auto opt = with_env_overrides(cfg.credential_settings, env);
  if (!opt) return std::move(opt).error();
  planner plan(env, files, *opt, out.region, profile_endpoint ? *profile_endpoint : std::string());
  std::set<std::string> visited;
  // 1. Environment keys, unless the caller named a profile (as the AWS CLI's --profile does).
  if (cfg.profile.empty()) {
    auto r = plan.environment_keys();
    if (!r) return std::move(r).error();
    if (*r) return out.credentials = std::move(*r), out;
  }
  // 2. The profile.
  if (prof) {
    auto r = plan.from_profile(*prof, visited);
    if (!r) return std::move(r).error();
    if (*r) return out.credentials = std::move(*r), out;
  }
  // 3-5. Web identity, container, instance metadata.
  for (auto step : {&planner::web_identity_from_env, &planner::container, &planner::instance_metadata}) {
    auto r = (plan.*step)();
    if (!r) return std::move(r).error();
    if (*r) return out.credentials = std::move(*r), out;
  }
  return config_error("no AWS credentials: looked in the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), "
                      "profile " + out.profile + " in " + files.describe() +
                      ", web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the container (AWS_CONTAINER_CREDENTIALS_*) "
                      "and instance metadata (off: AWS_EC2_METADATA_DISABLED=true). Run 'aws configure', or set "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

}  // namespace ddb::auth
