// The credential rules without I/O: the shared-file parser, the chain's
// choice, what providers answer, and the cache's refresh decisions.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "credentials/cache.hpp"
#include "credentials/chain.hpp"
#include "credentials/parse.hpp"
#include "credentials/shared_config.hpp"
#include "ddb/config.hpp"

using namespace ddb;
using namespace ddb::auth;
using namespace std::chrono_literals;

namespace {

struct fake_env {
  std::map<std::string, std::string> vars;
  env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

shared_files files_of(const std::string& config, const std::string& creds) {
  auto c = parse_ini(config, "/home/u/.aws/config");
  auto k = parse_ini(creds, "/home/u/.aws/credentials");
  REQUIRE(c);
  REQUIRE(k);
  auto f = merge_shared_files(*c, "/home/u/.aws/config", *k, "/home/u/.aws/credentials");
  REQUIRE(f);
  f->config_found = f->credentials_found = true;
  return std::move(*f);
}

settings_input with_region() {
  settings_input c;
  c.region = "eu-west-1";
  return c;
}

planned_settings plan_ok(const settings_input& cfg, const fake_env& env, const shared_files& files) {
  auto p = plan_settings(cfg, env.lookup(), files);
  if (!p) FAIL(p.error().message);
  return std::move(*p);
}

std::string plan_error(const settings_input& cfg, const fake_env& env, const shared_files& files) {
  auto p = plan_settings(cfg, env.lookup(), files);
  REQUIRE_FALSE(p);
  return p.error().message;
}

const fake_env imds_off{{{"AWS_EC2_METADATA_DISABLED", "true"}}};

}  // namespace

TEST_CASE("shared files: sections, comments, sub-settings", "[credentials]") {
  auto r = parse_ini("\xEF\xBB\xBF# a comment\n[default]\nregion = eu-west-1 # inline\naws_access_key_id=AKID;not a comment\n"
                     "; another\n[profile dev]\ns3 =\n  max_concurrent_requests = 4\n  addressing_style: path\noutput: json\n"
                     "long = first\n  second\n",
                     "cfg");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  const auto& d = (*r)[0];
  CHECK(d.name == "default");
  REQUIRE(d.entries.size() == 2);
  CHECK(d.entries[0].value == "eu-west-1");
  CHECK(d.entries[1].value == "AKID;not a comment");  // ';' without white space before it is data
  CHECK(d.entries[0].line == 3);
  const auto& dev = (*r)[1];
  CHECK(dev.name == "profile dev");
  REQUIRE(dev.entries.size() == 5);
  CHECK(dev.entries[1].name == "s3.max_concurrent_requests");
  CHECK(dev.entries[1].value == "4");
  CHECK(dev.entries[2].name == "s3.addressing_style");
  CHECK(dev.entries[3].name == "output");
  CHECK(dev.entries[4].value == "first\nsecond");
}

TEST_CASE("shared files: malformed text names the file and line", "[credentials]") {
  auto before = parse_ini("region = x\n[default]\n", "/c");
  REQUIRE_FALSE(before);
  CHECK(before.error().message.find("/c:1:") != std::string::npos);
  CHECK(before.error().message.find("before any [section]") != std::string::npos);
  auto no_eq = parse_ini("[default]\n\njust words\n", "/c");
  REQUIRE_FALSE(no_eq);
  CHECK(no_eq.error().message.find("/c:3:") != std::string::npos);
  auto header = parse_ini("[default\nx = 1\n", "/c");
  REQUIRE_FALSE(header);
  CHECK(header.error().message.find("without ']'") != std::string::npos);
  CHECK_FALSE(parse_ini("[]\n", "/c"));
  CHECK_FALSE(parse_ini("[default] junk\n", "/c"));
  CHECK_FALSE(parse_ini("[default]\n = value\n", "/c"));
  CHECK_FALSE(parse_ini(std::string("[default]\nx = a\0b\n", 18), "/c"));
  CHECK(parse_ini("", "/c"));
  CHECK(parse_ini("\n\n# only comments\n", "/c")->empty());
}

TEST_CASE("shared files: profiles merge, the credentials file wins", "[credentials]") {
  auto f = files_of("[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\naws_access_key_id = FROMCONFIG\n"
                    "[dev]\nignored = yes\n[sso-session s]\nsso_region = x\n",
                    "[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n");
  REQUIRE(f.find("dev"));
  CHECK(*f.find("dev")->get("aws_access_key_id") == "FROMCREDS");
  CHECK(*f.find("dev")->get("region") == "eu-central-1");
  CHECK(f.find("dev")->find("aws_access_key_id")->origin == "/home/u/.aws/credentials:2");
  CHECK(f.find("dev")->get("ignored") == nullptr);  // bare [dev] in the config file is not a profile
  CHECK(f.find("s") == nullptr);
  CHECK(f.find("sso-session s") == nullptr);
  CHECK(*f.find("default")->get("region") == "us-west-2");
}

TEST_CASE("times: ISO 8601 and HTTP dates", "[credentials]") {
  const auto t = parse_iso8601("2026-11-21T13:05:00Z");
  REQUIRE(t);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count() == 1795266300);
  CHECK(format_iso8601(*t) == "2026-11-21T13:05:00Z");
  CHECK(*parse_iso8601("2026-11-21T13:05:00.250Z") - *t == 250ms);
  CHECK(*parse_iso8601("2026-11-21T14:05:00+01:00") == *t);
  CHECK(*parse_iso8601("2026-11-21T12:35:00-0030") == *t);
  CHECK_FALSE(parse_iso8601("2026-11-21T13:05:00"));  // no zone
  CHECK_FALSE(parse_iso8601("2026-13-21T13:05:00Z"));
  CHECK_FALSE(parse_iso8601("yesterday"));
  CHECK_FALSE(parse_iso8601("2026-11-21T13:05:00Zjunk"));
  const auto d = parse_http_date("Sat, 21 Nov 2026 13:05:00 GMT");
  REQUIRE(d);
  CHECK(*d == *t);
  CHECK_FALSE(parse_http_date("Sat, 21 Foo 2026 13:05:00 GMT"));
  CHECK_FALSE(parse_http_date("21 Nov 2026"));
}

TEST_CASE("times outside the clock's range: refused or never, no overflow", "[credentials]") {
  // Found by fuzzing: years before ~1678 overflowed the nanosecond clock (UB;
  // the value wrapped: 0026-11-21 came back as 1780), as did any HTTP year.
  for (const char* s : {"1000-01-01T00:00:00Z", "0026-11-21T13:05:00-05:00", "0000-01-01T00:00:00Z",
                        "1677-09-21T00:12:43Z", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00"}) {
    INFO(s);
    auto r = parse_iso8601(s);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("before 1970"));
  }
  CHECK(parse_iso8601("1970-01-01T00:00:00Z")->time_since_epoch().count() == 0);
  for (const char* s : {"2262-04-11T23:47:16Z", "2262-04-11T23:47:17Z", "9999-12-31T23:59:60.999999999Z",
                        "2262-04-11T00:00:00-23:59", "2300-01-01T00:00:00Z"}) {
    INFO(s);
    REQUIRE(parse_iso8601(s));
    CHECK(*parse_iso8601(s) == ddb::auth::sys_time::max());  // never expires
  }
  const auto late = parse_iso8601("2262-04-10T00:00:00.5Z");
  REQUIRE(late);
  CHECK(*late < ddb::auth::sys_time::max());
  CHECK(format_iso8601(*late) == "2262-04-10T00:00:00Z");
  for (const char* s : {"Sun, 06 Nov 9999 08:49:37 GMT", "Sun, 06 Nov 1000 08:49:37 GMT", "Wed, 31 Dec 1969 23:59:59 GMT",
                        "Fri, 11 Apr 2262 23:47:17 GMT"}) {
    INFO(s);
    auto r = parse_http_date(s);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("outside 1970-2262"));
  }
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT")->time_since_epoch().count() == 0);
  CHECK(parse_http_date("Sat, 01 Jan 2261 00:00:00 GMT"));
}

TEST_CASE("credential_process output", "[credentials]") {
  auto c = parse_process_output(
      R"({"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "se\/cret\u00e9", "SessionToken": "tok",
          "Expiration": "2026-11-21T13:05:00Z", "Extra": {"nested": [1, 2, {"x": null}]}})");
  REQUIRE(c);
  CHECK(c->access_key_id == "AKID");
  CHECK(c->secret_access_key.reveal() == "se/cret\xC3\xA9");
  CHECK(c->session_token.reveal() == "tok");
  REQUIRE(c->expiration);
  auto no_expiry = parse_process_output(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})");
  REQUIRE(no_expiry);
  CHECK_FALSE(no_expiry->expiration);

  auto v2 = parse_process_output(R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"})");
  REQUIRE_FALSE(v2);
  CHECK(v2.error().message.find("only version 1") != std::string::npos);
  CHECK(parse_process_output(R"({"AccessKeyId":"A","SecretAccessKey":"S"})").error().message.find("Version") !=
        std::string::npos);
  CHECK(parse_process_output(R"({"Version":1,"SecretAccessKey":"S"})").error().message.find("AccessKeyId") !=
        std::string::npos);
  auto bad_time = parse_process_output(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})");
  REQUIRE_FALSE(bad_time);
  CHECK(bad_time.error().message.find("ISO 8601") != std::string::npos);
  // Invalid JSON: the error points at the byte and never repeats the secret.
  auto broken = parse_process_output(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"TOPSECRET")");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().message.find("TOPSECRET") == std::string::npos);
  for (const char* bad : {"", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
                          "{\"a\":01}", "{} {}", "{\"a\":\"line\nbreak\"}"})
    CHECK_FALSE(parse_flat_object(bad));
}

TEST_CASE("container and instance-metadata answers", "[credentials]") {
  auto c = parse_metadata_credentials(R"({"Code":"Success","LastUpdated":"2026-11-21T12:00:00Z","Type":"AWS-HMAC",
      "AccessKeyId":"ASIA","SecretAccessKey":"S","Token":"T","Expiration":"2026-11-21T18:00:00Z"})");
  REQUIRE(c);
  CHECK(c->session_token.reveal() == "T");
  auto refused = parse_metadata_credentials(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("'AssumeRoleUnauthorizedAccess': denied") != std::string::npos);
}

TEST_CASE("STS answers", "[credentials]") {
  const char* ok = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult><Credentials>
    <AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s&amp;cret</SecretAccessKey>
    <SessionToken>to&#107;en</SessionToken><Expiration>2026-11-21T13:05:00Z</Expiration>
  </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>)";
  auto c = parse_sts_response(ok, 200);
  REQUIRE(c);
  CHECK(c->access_key_id == "ASIAWEB");
  CHECK(c->secret_access_key.reveal() == "s&cret");
  CHECK(c->session_token.reveal() == "token");
  CHECK(c->expiration);
  auto err = parse_sts_response(R"(<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
      <Message>Token expired &lt;1h&gt;</Message></Error><RequestId>r</RequestId></ErrorResponse>)", 400);
  REQUIRE_FALSE(err);
  CHECK(err.error().message == "STS refused: InvalidIdentityToken: Token expired <1h>");
  CHECK_FALSE(parse_sts_response("<html>bad gateway</html>", 502));
  CHECK_FALSE(parse_sts_response("<AssumeRoleResponse></AssumeRoleResponse>", 200));
  CHECK(form_encode("arn:aws:iam::1:role/a b+c") == "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc");
  CHECK(mask_secret("AKIDEXAMPLE") == "****************MPLE");
  CHECK(mask_secret("abc") == "****************");
}

TEST_CASE("the chain: the environment first, a named profile over it", "[credentials]") {
  auto files = files_of("[profile dev]\nregion = eu-central-1\n",
                        "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
                        "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\naws_session_token = t\n");
  fake_env env = imds_off;
  env.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  auto p = plan_ok(with_region(), env, files);
  REQUIRE(p.credentials);
  CHECK(p.credentials->name == "env");
  CHECK(p.credentials->keys.access_key_id == "ENVKEY");

  env.vars["AWS_PROFILE"] = "dev";  // AWS_PROFILE does not beat environment keys...
  CHECK(plan_ok(with_region(), env, files).credentials->keys.access_key_id == "ENVKEY");
  settings_input named = with_region();
  named.profile = "dev";  // ...a profile named in the configuration (--profile) does
  auto d = plan_ok(named, env, files);
  CHECK(d.credentials->name == "shared-credentials-file");
  CHECK(d.credentials->keys.access_key_id == "DEVKEY");
  CHECK(d.credentials->keys.session_token.reveal() == "t");
  CHECK(d.credentials->location == "profile dev (/home/u/.aws/credentials:5)");

  env.vars.erase("AWS_ACCESS_KEY_ID");
  env.vars.erase("AWS_SECRET_ACCESS_KEY");
  env.vars.erase("AWS_PROFILE");
  CHECK(plan_ok(with_region(), env, files).credentials->keys.access_key_id == "FILEKEY");

  // Half a pair is an error, not a silent fall-through.
  env.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  CHECK(plan_error(with_region(), env, files).find("AWS_SECRET_ACCESS_KEY is not") != std::string::npos);
}

TEST_CASE("the chain: region and endpoint from the profile, in order", "[credentials]") {
  auto files = files_of("[default]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:8000\n", "");
  fake_env env = imds_off;
  env.vars["AWS_ACCESS_KEY_ID"] = "K";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "S";
  auto p = plan_ok(settings_input{}, env, files);
  CHECK(p.region == "ap-south-1");
  CHECK(p.region_source == "profile default (/home/u/.aws/config:2)");
  CHECK(p.endpoint_url == "http://127.0.0.1:8000");
  env.vars["AWS_DEFAULT_REGION"] = "us-east-2";
  CHECK(plan_ok(settings_input{}, env, files).region == "us-east-2");
  env.vars["AWS_REGION"] = "us-west-1";
  CHECK(plan_ok(settings_input{}, env, files).region == "us-west-1");
  CHECK(plan_ok(with_region(), env, files).region == "eu-west-1");
  env.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9";
  CHECK(plan_ok(settings_input{}, env, files).endpoint_url == "http://127.0.0.1:9");
  auto none = files_of("", "");
  fake_env bare = imds_off;
  bare.vars["AWS_ACCESS_KEY_ID"] = "K";
  bare.vars["AWS_SECRET_ACCESS_KEY"] = "S";
  CHECK(plan_error(settings_input{}, bare, none).find("no AWS region") != std::string::npos);
  bare.vars["AWS_REGION"] = "us east";
  CHECK(plan_error(settings_input{}, bare, none).find("only letters") != std::string::npos);
}

TEST_CASE("the chain: profiles that run something", "[credentials]") {
  auto files = files_of(
      "[profile proc]\ncredential_process = /usr/bin/get-creds --role x\n"
      "[profile base]\naws_access_key_id = BASE\naws_secret_access_key = b\n"
      "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nexternal_id = ext\nduration_seconds = 3600\n"
      "[profile chained]\nrole_arn = arn:aws:iam::1:role/r2\nsource_profile = role\n"
      "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\naws_access_key_id = SELF\naws_secret_access_key = s\n"
      "[profile loop1]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop2\n"
      "[profile loop2]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop1\n"
      "[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /var/run/token\nrole_session_name = s1\n"
      "[profile envsrc]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n"
      "[profile badsrc]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Somewhere\n"
      "[profile nosrc]\nrole_arn = arn:aws:iam::1:role/e\n"
      "[profile missing]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = ghost\n"
      "[profile mfa]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = base\nmfa_serial = arn:mfa\n"
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\n"
      "[profile half]\naws_access_key_id = ONLY\n"
      "[profile short]\nrole_arn = arn:aws:iam::1:role/e\nsource_profile = base\nduration_seconds = 60\n"
      "[profile regiononly]\nregion = eu-west-3\n",
      "");
  auto named = [](const char* p) {
    settings_input c = with_region();
    c.profile = p;
    return c;
  };
  const fake_env env = imds_off;
  auto proc = plan_ok(named("proc"), env, files);
  CHECK(proc.credentials->what == source::kind::process);
  CHECK(proc.credentials->name == "custom-process");
  CHECK(proc.credentials->command == "/usr/bin/get-creds --role x");

  auto role = plan_ok(named("role"), env, files);
  CHECK(role.credentials->what == source::kind::assume_role);
  CHECK(role.credentials->external_id == "ext");
  CHECK(role.credentials->duration_seconds == 3600);
  CHECK(role.credentials->sts_endpoint == "https://sts.eu-west-1.amazonaws.com");
  REQUIRE(role.credentials->base);
  CHECK(role.credentials->base->keys.access_key_id == "BASE");

  auto chained = plan_ok(named("chained"), env, files);
  REQUIRE(chained.credentials->base);
  CHECK(chained.credentials->base->what == source::kind::assume_role);
  CHECK(chained.credentials->base->base->keys.access_key_id == "BASE");

  auto self = plan_ok(named("self"), env, files);
  CHECK(self.credentials->base->keys.access_key_id == "SELF");

  auto web = plan_ok(named("web"), env, files);
  CHECK(web.credentials->what == source::kind::web_identity);
  CHECK(web.credentials->token_file == "/var/run/token");
  CHECK(web.credentials->session_name == "s1");

  fake_env with_keys = env;
  with_keys.vars["AWS_ACCESS_KEY_ID"] = "E";
  with_keys.vars["AWS_SECRET_ACCESS_KEY"] = "S";
  CHECK(plan_ok(named("envsrc"), with_keys, files).credentials->base->name == "env");
  CHECK(plan_error(named("envsrc"), env, files).find("credential_source Environment has nothing") != std::string::npos);

  CHECK(plan_error(named("loop1"), env, files).find("cycle") != std::string::npos);
  CHECK(plan_error(named("badsrc"), env, files).find("not one of Environment") != std::string::npos);
  CHECK(plan_error(named("nosrc"), env, files).find("no source_profile") != std::string::npos);
  CHECK(plan_error(named("missing"), env, files).find("'ghost'") != std::string::npos);
  CHECK(plan_error(named("mfa"), env, files).find("MFA") != std::string::npos);
  CHECK(plan_error(named("sso"), env, files).find("export-credentials --profile sso") != std::string::npos);
  CHECK(plan_error(named("half"), env, files).find("no aws_secret_access_key") != std::string::npos);
  CHECK(plan_error(named("short"), env, files).find("900 to 43200") != std::string::npos);
  CHECK(plan_error(named("ghost"), env, files).find("profile 'ghost'") != std::string::npos);
  // A profile without credentials lets the chain go on (here: to nothing, since metadata is off).
  std::string none = plan_error(named("regiononly"), env, files);
  CHECK(none.find("no AWS credentials") != std::string::npos);
  CHECK(none.find("AWS_EC2_METADATA_DISABLED") != std::string::npos);
}

TEST_CASE("the chain: web identity, container, instance metadata", "[credentials]") {
  auto files = files_of("", "");
  fake_env env;
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = "/t";
  CHECK(plan_error(with_region(), env, files).find("AWS_ROLE_ARN is not") != std::string::npos);
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/w";
  env.vars["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:1";
  auto w = plan_ok(with_region(), env, files);
  CHECK(w.credentials->what == source::kind::web_identity);
  CHECK(w.credentials->sts_endpoint == "http://127.0.0.1:1");

  fake_env c;
  c.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  auto rel = plan_ok(with_region(), c, files);
  CHECK(rel.credentials->url == "http://169.254.170.2/v2/credentials/abc");
  c.vars.clear();
  c.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:51679/creds";
  c.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "tok";
  auto full = plan_ok(with_region(), c, files);
  CHECK(full.credentials->url == "http://127.0.0.1:51679/creds");
  CHECK(full.credentials->auth_token == "tok");
  c.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  CHECK(plan_error(with_region(), c, files).find("neither loopback nor a container agent") != std::string::npos);
  c.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "https://example.com/creds";
  CHECK(plan_ok(with_region(), c, files).credentials->name == "container-role");

  fake_env m;  // nothing configured: instance metadata is the last resort
  auto imds = plan_ok(with_region(), m, files);
  CHECK(imds.credentials->what == source::kind::imds);
  CHECK(imds.credentials->url == "http://169.254.169.254");
  CHECK(imds.credentials->options.imds_timeout == 1000ms);
  m.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:1338";
  m.vars["AWS_METADATA_SERVICE_TIMEOUT"] = "0.25";
  m.vars["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = "3";
  auto local = plan_ok(with_region(), m, files);
  CHECK(local.credentials->url == "http://127.0.0.1:1338");
  CHECK(local.credentials->options.imds_timeout == 250ms);
  CHECK(local.credentials->options.imds_attempts == 3);
  m.vars["AWS_METADATA_SERVICE_TIMEOUT"] = "-1";
  CHECK(plan_error(with_region(), m, files).find("AWS_METADATA_SERVICE_TIMEOUT") != std::string::npos);
  m.vars["AWS_EC2_METADATA_DISABLED"] = "TRUE";
  m.vars.erase("AWS_METADATA_SERVICE_TIMEOUT");
  CHECK(plan_error(with_region(), m, files).find("no AWS credentials") != std::string::npos);
  // Credentials given in the configuration need no chain at all.
  settings_input given = with_region();
  given.credentials = credentials{"K", secret_string("S"), {}};
  CHECK_FALSE(plan_ok(given, m, files).credentials);
}

TEST_CASE("the cache: refresh ahead of expiry, one at a time, backoff on failure", "[credentials]") {
  using clock = std::chrono::system_clock;
  using act = credentials_cache::action;
  credentials_cache cache(300s, 1000ms, 8000ms);
  const clock::time_point t0 = clock::time_point(1800000000s);

  // Nothing yet: the first request starts the fetch, the rest wait for it.
  CHECK(cache.on_request(t0) == act::wait_and_refresh);
  CHECK(cache.on_request(t0) == act::wait);
  CHECK(cache.on_request(t0) == act::wait);
  CHECK(cache.refreshes_started() == 1);
  credentials c{"K1", secret_string("S"), {}};
  c.expiration = t0 + 3600s;
  cache.on_refreshed(c, t0);
  CHECK(cache.generation() == 1);
  CHECK(cache.on_request(t0 + 1000s) == act::use);
  // Less than five minutes left: sign now, refresh in the background, once.
  CHECK(cache.on_request(t0 + 3400s) == act::use_and_refresh);
  CHECK(cache.on_request(t0 + 3401s) == act::use);
  CHECK(cache.refreshes_started() == 2);
  // The refresh fails: keep serving, retry after 1 s, then 2 s.
  CHECK(cache.on_failed(t0 + 3402s));
  CHECK(cache.on_request(t0 + 3402s) == act::use);
  CHECK(cache.on_request(t0 + 3403s) == act::use_and_refresh);
  CHECK(cache.on_failed(t0 + 3403s));
  CHECK(cache.on_request(t0 + 3404s) == act::use);
  CHECK(cache.on_request(t0 + 3405s) == act::use_and_refresh);
  // Expired: requests wait for a refresh; a failure then has nothing to fall back on.
  CHECK_FALSE(cache.on_failed(t0 + 3600s));
  CHECK(cache.on_request(t0 + 3600s) == act::wait_and_refresh);
  CHECK(cache.on_request(t0 + 3600s) == act::wait);
  credentials c2{"K2", secret_string("S"), {}};
  c2.expiration = t0 + 7200s;
  cache.on_refreshed(c2, t0 + 3601s);
  CHECK(cache.current().access_key_id == "K2");
  CHECK(cache.on_request(t0 + 3602s) == act::use);
  // Keys without an expiry are never refreshed.
  credentials_cache forever(300s, 1000ms, 8000ms);
  CHECK(forever.on_request(t0) == act::wait_and_refresh);
  forever.on_refreshed(credentials{"K", secret_string("S"), {}}, t0);
  CHECK(forever.on_request(t0 + std::chrono::hours(24 * 365)) == act::use);
}

TEST_CASE("shared files on disk: missing is empty, a directory or bad text is an error naming it", "[credentials]") {
  char tmpl[] = "/tmp/ddb-cred-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  const std::string dir = tmpl;
  fake_env env;
  env.vars["AWS_CONFIG_FILE"] = dir + "/config";
  env.vars["AWS_SHARED_CREDENTIALS_FILE"] = dir + "/credentials";
  auto missing = load_shared_files(env.lookup());
  REQUIRE(missing);
  CHECK_FALSE(missing->config_found);
  CHECK(missing->profiles.empty());
  CHECK(missing->describe() == dir + "/config (missing) and " + dir + "/credentials (missing)");

  REQUIRE(mkdir((dir + "/config").c_str(), 0700) == 0);
  auto is_dir = load_shared_files(env.lookup());
  REQUIRE_FALSE(is_dir);
  CHECK(is_dir.error().message.find(dir + "/config is a directory") != std::string::npos);
  rmdir((dir + "/config").c_str());

  { std::ofstream(dir + "/credentials") << "[default]\naws_access_key_id = A\nnot a setting\n"; }
  auto bad = load_shared_files(env.lookup());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(dir + "/credentials:3:") != std::string::npos);

  { std::ofstream(dir + "/credentials") << "[default]\naws_access_key_id = A\naws_secret_access_key = S\n"; }
  env.vars["HOME"] = dir;
  env.vars["AWS_CONFIG_FILE"] = "~/config";  // "~" is HOME, as in the SDKs
  auto ok = load_shared_files(env.lookup());
  REQUIRE(ok);
  CHECK(ok->config_path == dir + "/config");
  CHECK(ok->credentials_found);
  CHECK(*ok->find("default")->get("aws_access_key_id") == "A");
  std::remove((dir + "/credentials").c_str());
  rmdir(dir.c_str());
}

TEST_CASE("the cache: short-lived credentials are not refreshed on every request", "[credentials]") {
  using clock = std::chrono::system_clock;
  using act = credentials_cache::action;
  credentials_cache cache(300s, 1000ms, 8000ms);
  const clock::time_point t0 = clock::time_point(1800000000s);
  CHECK(cache.on_request(t0) == act::wait_and_refresh);
  credentials c{"K", secret_string("S"), {}};
  c.expiration = t0 + 100s;  // already inside the 5-minute window
  cache.on_refreshed(c, t0);
  CHECK(cache.on_request(t0 + 1s) == act::use);
  CHECK(cache.on_request(t0 + 49s) == act::use);
  CHECK(cache.on_request(t0 + 50s) == act::use_and_refresh);  // at half the remaining life
  CHECK(cache.refreshes_started() == 2);
}

TEST_CASE("extra certificate authorities: client_config::ca_file, else AWS_CA_BUNDLE, else the profile's ca_bundle", "[credentials]") {
  const shared_files files = files_of("[default]\nca_bundle = /etc/corp/profile.pem\n", "");
  settings_input cfg = with_region();
  cfg.credentials = credentials{"AKID", secret_string("s"), {}, {}};
  planned_settings from_profile = plan_ok(cfg, imds_off, files);
  CHECK(from_profile.ca_file == "/etc/corp/profile.pem");
  CHECK(from_profile.ca_source.find("profile default") != std::string::npos);
  const fake_env with_env{{{"AWS_EC2_METADATA_DISABLED", "true"}, {"AWS_CA_BUNDLE", "/etc/corp/env.pem"}}};
  planned_settings from_env = plan_ok(cfg, with_env, files);
  CHECK(from_env.ca_file == "/etc/corp/env.pem");
  CHECK(from_env.ca_source == "AWS_CA_BUNDLE");
  cfg.ca_file = "/etc/corp/config.pem";
  planned_settings from_config = plan_ok(cfg, with_env, files);
  CHECK(from_config.ca_file == "/etc/corp/config.pem");
  CHECK(from_config.ca_source == "client_config::ca_file");  // named once, not client_config::client_config::ca_file
  planned_settings none = plan_ok(with_region(), imds_off, files_of("[default]\naws_access_key_id = A\naws_secret_access_key = B\n", ""));
  CHECK(none.ca_file.empty());
}

TEST_CASE("settings_of: a client_config's settings as the credentials take them (they know no client_config)",
          "[credentials]") {
  client_config cfg;
  cfg.profile = "dev";
  cfg.region = "eu-west-1";
  cfg.endpoint = "http://127.0.0.1:9";
  cfg.ca_file = "/etc/corp/ca.pem";
  cfg.service = service_api::streams;
  cfg.credentials = credentials{"AKID", secret_string("s"), {}, {}};
  cfg.credentials_provider = static_credentials(credentials{"AKID2", secret_string("t"), {}, {}}, "mine");
  cfg.credential_settings.imds_attempts = 3;
  const settings_input in = settings_of(cfg);
  CHECK(in.profile == "dev");
  CHECK(in.region == "eu-west-1");
  CHECK(in.endpoint == "http://127.0.0.1:9");
  CHECK(in.ca_file == "/etc/corp/ca.pem");
  CHECK(in.streams);
  REQUIRE(in.credentials);
  CHECK(in.credentials->access_key_id == "AKID");
  CHECK(in.credentials_provider == cfg.credentials_provider);
  CHECK(in.credential_settings.imds_attempts == 3);
  CHECK(in.origin == "client_config");
  CHECK_FALSE(settings_of(client_config{}).streams);
  // Messages name the origin: another caller's settings are named as its own.
  settings_input mine;
  mine.origin = "my_settings";
  fake_env bare;
  CHECK(plan_error(mine, bare, files_of("", "")).find("set my_settings::region") != std::string::npos);
}
