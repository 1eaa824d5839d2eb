// A client_config's settings as the credentials room takes them: the
// credentials know nothing of the client's configuration.
#include "ddb/config.hpp"

namespace ddb {

settings_input settings_of(const client_config& cfg) {
  settings_input in;
  in.profile = cfg.profile;
  in.region = cfg.region;
  in.endpoint = cfg.endpoint;
  in.ca_file = cfg.ca_file;
  in.streams = cfg.service == service_api::streams;
  in.credentials = cfg.credentials;
  in.credentials_provider = cfg.credentials_provider;
  in.credential_settings = cfg.credential_settings;
  in.origin = "client_config";
  return in;
}

resolved_settings resolve_settings(const client_config& cfg) { return resolve_settings(settings_of(cfg)); }

}  // namespace ddb
