// A real DynamoDB Local call authenticated by each credential provider of
// the chain. DynamoDB Local does not check signatures, so the loopback tests
// (test_credentials_faults.cpp) prove which key signed; here the point is
// that each provider's credentials carry a working client end to end.
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "ddb/client.hpp"
#include "ddb/model.hpp"
#include "support/aws_env.hpp"
#include "support/credential_stubs.hpp"
#include "support/local_dynamodb.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using namespace ddb::test::stubs;
using ddb::test::aws_env;
using ddb::test::fault_server;
using ddb::test::header_value;
using ddb::test::request_info;
using ddb::test::temp_dir;
namespace asio = boost::asio;

namespace {

// DynamoDB Local's URL, insisting on a loopback address (the shared helper's check).
std::string local_endpoint() { return "http://" + ddb::test::local_endpoint::from_env().host_header(); }

// Puts and reads back an item through a client whose credentials come from
// the chain; returns the provider's name.
std::string round_trip(const std::string& endpoint, const std::string& table) {
  client_config cfg;
  cfg.endpoint = endpoint;
  std::string provider;
  ddb::test::with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    provider = c.settings().provider->name();
    create_table_request create;
    create.table_name = table;
    create.attribute_definitions = {{"pk", ddb::scalar_attribute_type::s}};
    create.key_schema = {{"pk", ddb::key_type::hash}};
    create.billing_mode = ddb::billing_mode::pay_per_request;
    co_await c.create_table(create);
    put_item_request put;
    put.table_name = table;
    put.item = {{"pk", value("k")}, {"provider", value(provider)}};
    co_await c.put_item(put);
    get_item_request get;
    get.table_name = table;
    get.key = {{"pk", value("k")}};
    get_item_response got = co_await c.get_item(get);
    REQUIRE(got.item.contains("provider"));
    CHECK(got.item.at("provider").as_string() == provider);
    delete_table_request drop;
    drop.table_name = table;
    co_await c.delete_table(drop);
  });
  return provider;
}

}  // namespace

TEST_CASE("DynamoDB Local with credentials from each provider of the chain", "[credentials-local]") {
  const std::string endpoint = local_endpoint();
  temp_dir dir;
  SECTION("environment") {
    aws_env env({{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_REGION", "us-east-1"}});
    CHECK(round_trip(endpoint, "creds_env") == "env");
  }
  SECTION("shared credentials file, region from the config file") {
    aws_env env({{"AWS_CONFIG_FILE", dir.write("config", "[profile ci]\nregion = us-east-1\n")},
                 {"AWS_SHARED_CREDENTIALS_FILE", dir.write("credentials", "[ci]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n")},
                 {"AWS_PROFILE", "ci"}});
    CHECK(round_trip(endpoint, "creds_file") == "shared-credentials-file");
  }
  SECTION("credential_process") {
    const std::string script = dir.write("creds.sh", "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"ASIAPROC\","
                                                     "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\"}'\n", true);
    aws_env env({{"AWS_CONFIG_FILE", dir.write("config", "[default]\nregion = us-east-1\ncredential_process = " + script + "\n")}});
    CHECK(round_trip(endpoint, "creds_process") == "custom-process");
  }
  SECTION("web identity through STS") {
    fault_server sts([](const request_info& r) {
      return r.body.find("Action=AssumeRoleWithWebIdentity") != std::string::npos
                 ? sts_answer("AssumeRoleWithWebIdentity", "ASIAWEB")
                 : http(400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>");
    });
    aws_env env({{"AWS_REGION", "us-east-1"},
                 {"AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "jwt")},
                 {"AWS_ROLE_ARN", "arn:aws:iam::1:role/ci"},
                 {"AWS_ENDPOINT_URL_STS", sts.url()}});
    CHECK(round_trip(endpoint, "creds_web") == "assume-role-with-web-identity");
    CHECK(sts.requests() == 1);
  }
  SECTION("assume-role with a source profile") {
    fault_server sts([](const request_info& r) {
      return header_value(r.head, "Authorization").find("Credential=AKIABASE/") != std::string::npos
                 ? sts_answer("AssumeRole", "ASIAROLE")
                 : http(403, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>");
    });
    aws_env env({{"AWS_CONFIG_FILE", dir.write("config", "[default]\nregion = us-east-1\nrole_arn = arn:aws:iam::1:role/r\n"
                                                         "source_profile = base\n")},
                 {"AWS_SHARED_CREDENTIALS_FILE", dir.write("credentials", "[base]\naws_access_key_id = AKIABASE\n"
                                                                          "aws_secret_access_key = s\n")},
                 {"AWS_ENDPOINT_URL_STS", sts.url()}});
    CHECK(round_trip(endpoint, "creds_role") == "assume-role");
    CHECK(sts.requests() == 1);
  }
  SECTION("container agent") {
    fault_server agent([](const request_info&) { return http(200, creds_json("ASIACONTAINER", expiry_in(std::chrono::hours(6)))); });
    aws_env env({{"AWS_REGION", "us-east-1"}, {"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/creds"}});
    CHECK(round_trip(endpoint, "creds_container") == "container-role");
    CHECK(agent.requests() == 1);
  }
  SECTION("instance metadata (IMDSv2)") {
    imds_stub imds;
    aws_env env({{"AWS_REGION", "us-east-1"},
                 {"AWS_EC2_METADATA_DISABLED", ""},
                 {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url()}});
    CHECK(round_trip(endpoint, "creds_imds") == "iam-role");
    CHECK(imds.credential_requests == 1);
  }
}
