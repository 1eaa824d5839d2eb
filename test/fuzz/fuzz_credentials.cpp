// What credential sources hand ddb: ISO 8601 and HTTP dates, the flat JSON of
// credential_process / IMDS / the container agent, STS's XML, and the
// ~/.aws INI files with profile resolution. The first byte picks the reader.
// No crash, no UB (the sanitizers), no exception escaping.
#include <cstddef>
#include <cstdint>
#include <string>

#include "credentials/parse.hpp"
#include "credentials/shared_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 6) {
      case 0: {
        auto t = ddb::auth::parse_iso8601(text);
        if (t && *t != ddb::auth::sys_time::max() && t->time_since_epoch().count() < 0) __builtin_trap();
        if (t && *t != ddb::auth::sys_time::max()) (void)ddb::auth::format_iso8601(*t);
        break;
      }
      case 1: (void)ddb::auth::parse_http_date(text); break;
      case 2: (void)ddb::auth::parse_process_output(text); break;
      case 3: (void)ddb::auth::parse_metadata_credentials(text); break;
      case 4: (void)ddb::auth::parse_sts_response(text, 200); break;
      case 5: {
        auto ini = ddb::auth::parse_ini(text, "config");
        if (ini) (void)ddb::auth::merge_shared_files(*ini, "config", *ini, "credentials");
        break;
      }
    }
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
