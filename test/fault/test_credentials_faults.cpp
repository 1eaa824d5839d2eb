// The credential providers against loopback servers that speak the real
// protocols (IMDSv2 with its session token, the container agent, STS's XML),
// credential_process scripts in a temporary directory, and the client's cache
// (refresh ahead of expiry, one shared refresh, failures) with an injected clock.
// Every test clears the AWS environment and turns instance metadata off
// unless it points the endpoint at its own loopback server.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "credentials/parse.hpp"
#include "ddb/client.hpp"
#include "helpers/run_all.hpp"
#include "support/aws_env.hpp"
#include "support/credential_stubs.hpp"
#include "support/fault_server.hpp"
#include "support/with_client.hpp"

using namespace ddb;
using ddb::test::action;
using ddb::test::aws_env;
using ddb::test::fault_server;
using ddb::test::header_value;
using ddb::test::request_info;
using ddb::test::temp_dir;
using ddb::test::with_client;
using namespace ddb::test::stubs;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto tuple_token = asio::as_tuple(asio::use_awaitable);

// Whether the process whose pid the file holds has ended (gone, or a zombie
// nobody reaped yet), waiting up to 10 s for a kill to land (a hang guard:
// the answer does not depend on how fast the machine is).
bool process_ended(const std::string& pid_file) {
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  if (pid <= 0) return false;
  for (int i = 0; i < 1000; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) return true;
    const auto name_end = line.rfind(')');
    if (name_end != std::string::npos && name_end + 2 < line.size() &&
        (line[name_end + 2] == 'Z' || line[name_end + 2] == 'X'))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// A DynamoDB stand-in that answers every request and records who signed it.
struct dynamodb_stub {
  fault_server server{[](const request_info&) { return action::ok(R"({"TableNames":[]})"); }};
  std::vector<std::string> key_ids() {
    std::vector<std::string> out;
    for (auto& r : server.seen()) out.push_back(key_id_of(r));
    return out;
  }
};

client_config chain_config(const dynamodb_stub& d) {
  client_config c;
  c.endpoint = d.server.url();
  c.region = "us-east-1";
  c.retry.transient_base = 1ms;
  c.attempt_timeout = 3000ms;
  return c;
}

// One ListTables; returns the error code and diagnostics message.
std::pair<boost::system::error_code, std::string> list_tables(client_config cfg) {
  std::pair<boost::system::error_code, std::string> out;
  with_client(std::move(cfg), [&](client& c) -> asio::awaitable<void> {
    auto [ec, r] = co_await c.call("ListTables", "{}", tuple_token);
    out = {ec, r.diag.message};
  });
  return out;
}

}  // namespace

TEST_CASE("instance metadata: IMDSv2 token, role, credentials, then a signed call", "[creds]") {
  dynamodb_stub ddb;
  imds_stub imds;
  aws_env env({{"AWS_EC2_METADATA_DISABLED", ""}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url()}});
  auto [ec, msg] = list_tables(chain_config(ddb));
  INFO(msg);
  REQUIRE_FALSE(ec);
  CHECK(imds.token_requests == 1);
  CHECK(imds.credential_requests == 1);
  CHECK(imds.unauthorized == 0);
  REQUIRE(ddb.key_ids() == std::vector<std::string>{"ASIAIMDS"});
  CHECK(header_value(ddb.server.seen()[0].head, "X-Amz-Security-Token") == "tok-ASIAIMDS");
  // The stand-in really does refuse a request without the session token.
  CHECK(imds.answer(request_info{0, 0, 0, "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\n", ""})
            .bytes.rfind("HTTP/1.1 401", 0) == 0);
}

TEST_CASE("instance metadata: absent, silent, or without a role: a fast, clear error", "[creds]") {
  dynamodb_stub ddb;
  SECTION("nothing listens") {
    std::string url;
    {
      fault_server gone([](const request_info&) { return action::ok(); });
      url = gone.url();
    }
    aws_env env({{"AWS_EC2_METADATA_DISABLED", ""}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", url}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("iam-role") != std::string::npos);
    CHECK(msg.find("AWS_EC2_METADATA_DISABLED=true") != std::string::npos);
  }
  SECTION("it never answers") {
    fault_server silent([](const request_info&) { return action::never(); });
    aws_env env({{"AWS_EC2_METADATA_DISABLED", ""},
                 {"AWS_EC2_METADATA_SERVICE_ENDPOINT", silent.url()},
                 {"AWS_METADATA_SERVICE_TIMEOUT", "0.3"},
                 {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("no answer within 300 ms") != std::string::npos);
    CHECK(silent.requests() == 2);  // two attempts, as configured
  }
  SECTION("no role attached") {
    imds_stub imds;
    imds.attach_role = false;
    aws_env env({{"AWS_EC2_METADATA_DISABLED", ""}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url()}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("no IAM role is attached") != std::string::npos);
  }
  CHECK(ddb.server.requests() == 0);  // nothing unsigned ever went out
}

TEST_CASE("container credentials: full URI, authorization token from a file", "[creds]") {
  dynamodb_stub ddb;
  temp_dir dir;
  const std::string token_file = dir.write("token", "container-secret-token\n");
  std::atomic<int> fetches{0};
  fault_server agent([&](const request_info& r) {
    if (request_line(r).rfind("GET /v2/credentials/abc ", 0) != 0) return http(404, "");
    if (header_value(r.head, "Authorization") != "container-secret-token") return http(401, R"({"message":"denied"})");
    ++fetches;
    return http(200, creds_json("ASIACONTAINER", expiry_in(6h)));
  });
  SECTION("the right token") {
    aws_env env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/v2/credentials/abc"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    INFO(msg);
    REQUIRE_FALSE(ec);
    CHECK(fetches == 1);
    CHECK(ddb.key_ids() == std::vector<std::string>{"ASIACONTAINER"});
  }
  SECTION("a wrong token") {
    aws_env env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/v2/credentials/abc"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong"}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("container-role") != std::string::npos);
    CHECK(msg.find("refused") != std::string::npos);
    CHECK(msg.find("wrong") == std::string::npos);
  }
  SECTION("a token with a line break is refused before sending") {
    aws_env env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/v2/credentials/abc"},
                 {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Injected: 1"}});
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("CR, LF") != std::string::npos);
    CHECK(agent.requests() == 0);
  }
}

TEST_CASE("web identity: STS AssumeRoleWithWebIdentity over the query protocol", "[creds]") {
  dynamodb_stub ddb;
  temp_dir dir;
  const std::string token_file = dir.write("web-token", "eyJ.web.token");
  std::mutex m;
  std::string last_body;
  bool refuse = false;
  fault_server sts([&](const request_info& r) {
    std::lock_guard lock(m);
    last_body = r.body;
    if (refuse)
      return http(400, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>)"
                       R"(<Code>InvalidIdentityToken</Code><Message>Token is expired</Message></Error></ErrorResponse>)",
                  "Content-Type: text/xml\r\n");
    if (request_line(r).rfind("POST / ", 0) != 0 || r.body.find("Action=AssumeRoleWithWebIdentity") == std::string::npos)
      return http(400, "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>");
    return sts_answer("AssumeRoleWithWebIdentity", "ASIAWEB");
  });
  aws_env env({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
               {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ddb-test"},
               {"AWS_ROLE_SESSION_NAME", "ci session"},
               {"AWS_ENDPOINT_URL_STS", sts.url()}});
  SECTION("accepted") {
    auto [ec, msg] = list_tables(chain_config(ddb));
    INFO(msg);
    REQUIRE_FALSE(ec);
    CHECK(ddb.key_ids() == std::vector<std::string>{"ASIAWEB"});
    CHECK(last_body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fddb-test") != std::string::npos);
    CHECK(last_body.find("RoleSessionName=ci%20session") != std::string::npos);
    CHECK(last_body.find("WebIdentityToken=eyJ.web.token") != std::string::npos);
    CHECK(last_body.find("Version=2011-06-15") != std::string::npos);
  }
  SECTION("refused: STS's code and message, and no retry storm") {
    refuse = true;
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("assume-role-with-web-identity") != std::string::npos);
    CHECK(msg.find("InvalidIdentityToken: Token is expired") != std::string::npos);
    CHECK(sts.requests() == 1);
  }
  SECTION("a token file that is gone") {
    std::filesystem::remove(token_file);
    auto [ec, msg] = list_tables(chain_config(ddb));
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("cannot read the web identity token file") != std::string::npos);
  }
}

TEST_CASE("profiles: assume-role from a source profile, signed by its keys", "[creds]") {
  dynamodb_stub ddb;
  temp_dir dir;
  std::mutex m;
  std::string auth_header, body;
  fault_server sts([&](const request_info& r) {
    std::lock_guard lock(m);
    auth_header = header_value(r.head, "Authorization");
    body = r.body;
    return sts_answer("AssumeRole", "ASIAROLE");
  });
  const std::string config = dir.write("config", "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n"
                                                 "external_id = ext-1\nregion = eu-north-1\n");
  const std::string creds = dir.write("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n");
  aws_env env({{"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", creds}, {"AWS_PROFILE", "app"},
               {"AWS_ENDPOINT_URL_STS", sts.url()}});
  client_config cfg = chain_config(ddb);
  cfg.region.clear();  // from the profile
  auto [ec, msg] = list_tables(cfg);
  INFO(msg);
  REQUIRE_FALSE(ec);
  CHECK(ddb.key_ids() == std::vector<std::string>{"ASIAROLE"});
  CHECK(auth_header.find("Credential=AKIABASE/") != std::string::npos);
  CHECK(auth_header.find("/eu-north-1/sts/aws4_request") != std::string::npos);
  CHECK(body.find("Action=AssumeRole&") != std::string::npos);
  CHECK(body.find("ExternalId=ext-1") != std::string::npos);
  // The DynamoDB request is signed for the profile's region.
  CHECK(header_value(ddb.server.seen()[0].head, "Authorization").find("/eu-north-1/dynamodb/") != std::string::npos);
}

TEST_CASE("credential_process: runs off the loop; failures, hangs and bad output are clear errors", "[creds]") {
  dynamodb_stub ddb;
  temp_dir dir;
  auto use_script = [&](const std::string& body) {
    const std::string script = dir.write("creds.sh", "#!/bin/sh\n" + body, true);
    dir.write("config", "[default]\ncredential_process = " + script + " --flag\n");
  };
  aws_env env({{"AWS_CONFIG_FILE", dir.path() + "/config"}});
  client_config cfg = chain_config(ddb);
  cfg.credential_settings.process_timeout = 10s;  // a script that ends does so in time on a loaded machine

  SECTION("good output, while the event loop keeps running") {
    // The process answers only once the event loop has seen it start: a loop
    // blocked on the process would wait with it until process_timeout kills it.
    const std::string started = dir.path() + "/started", loop_ran = dir.path() + "/loop-ran";
    use_script("touch " + started + "\nwhile [ ! -f " + loop_ran + " ]; do sleep 0.01; done\n"
               "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"p\", "
               "\"SessionToken\": \"t\", \"Expiration\": \"" + expiry_in(1h) + "\"}'\n");
    cfg.credential_settings.process_timeout = 20s;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      std::optional<boost::system::error_code> result;
      std::string message;
      c.call("ListTables", "{}", [&](boost::system::error_code ec, raw_response r) {
        result = ec;
        message = r.diag.message;
      });
      asio::steady_timer tick(ex);
      while (!std::filesystem::exists(started) && !result) {
        tick.expires_after(1ms);
        co_await tick.async_wait(asio::use_awaitable);
      }
      std::ofstream(loop_ran) << "yes";
      while (!result) {
        tick.expires_after(1ms);
        co_await tick.async_wait(asio::use_awaitable);
      }
      INFO(message);
      CHECK_FALSE(*result);
    });
    CHECK(ddb.key_ids() == std::vector<std::string>{"ASIAPROC"});
  }
  SECTION("a failing command: its exit status and stderr") {
    use_script("echo 'token has expired, run aws sso login' >&2\nexit 3\n");
    auto [ec, msg] = list_tables(cfg);
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("custom-process") != std::string::npos);
    CHECK(msg.find("exited with status 3: token has expired, run aws sso login") != std::string::npos);
  }
  SECTION("a command that hangs is killed at the deadline, children too") {
    use_script("sleep 30 &\necho $! > " + dir.path() + "/child.pid\nsleep 30\n");
    cfg.credential_settings.process_timeout = 1500ms;
    auto [ec, msg] = list_tables(cfg);
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("did not finish within 1500 ms") != std::string::npos);
    CHECK(process_ended(dir.path() + "/child.pid"));  // the child, which holds the pipe open, too
  }
  SECTION("invalid JSON, without echoing secrets") {
    use_script("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"TOPSECRET\"'\n");
    auto [ec, msg] = list_tables(cfg);
    CHECK(ec == errc::credentials_unavailable);
    CHECK(msg.find("not a JSON object") != std::string::npos);
    CHECK(msg.find("TOPSECRET") == std::string::npos);
  }
  SECTION("expired credentials") {
    use_script("echo '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", \"Expiration\": \"2020-01-01T00:00:00Z\"}'\n");
    auto [ec, msg] = list_tables(cfg);
    CHECK(ec == errc::credentials_expired);
    CHECK(msg.find("expired at 2020-01-01T00:00:00Z") != std::string::npos);
  }
  SECTION("closing the client stops a running process at once") {
    use_script("echo $$ > " + dir.path() + "/shell.pid\nsleep 30\n");
    cfg.credential_settings.process_timeout = 60s;
    asio::io_context io;
    boost::system::error_code result;
    {
      client c(io.get_executor(), cfg);
      c.call("ListTables", "{}", [&](boost::system::error_code ec, raw_response) { result = ec; });
      // Closed once the process runs (its pid written), polled by a timer.
      const std::string pid_file = dir.path() + "/shell.pid";
      asio::steady_timer t(io);
      std::function<void()> close_when_running = [&] {
        std::error_code ignored;
        if (std::filesystem::file_size(pid_file, ignored) == 0 || ignored) {
          t.expires_after(1ms);
          t.async_wait([&](boost::system::error_code) { close_when_running(); });
          return;
        }
        c.close();
      };
      close_when_running();
      io.run_for(30s);
    }
    CHECK(result == errc::client_closed);
    CHECK(process_ended(dir.path() + "/shell.pid"));  // not left to run out its 60 s
  }
  CHECK(ddb.server.requests() <= 1);
}

TEST_CASE("the cache: one shared fetch, refresh ahead of expiry, failures keep valid credentials", "[creds]") {
  using sys = std::chrono::system_clock;
  dynamodb_stub ddb;
  // The client's clock and the agent's idea of expiry both follow this.
  auto now = std::make_shared<std::atomic<sys::rep>>(sys::now().time_since_epoch().count());
  auto clock = [now] { return sys::time_point(sys::duration(now->load())); };
  std::atomic<int> fetches{0};
  std::atomic<bool> failing{false};
  fault_server agent([&](const request_info&) {
    if (failing) return http(500, "agent down");
    const int n = ++fetches;
    return http(200, creds_json("KEY" + std::to_string(n), auth::format_iso8601(clock() + 15min)));
  });
  aws_env env({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/creds"}});
  client_config cfg = chain_config(ddb);
  cfg.clock = clock;
  auto advance = [&](std::chrono::seconds s) { now->fetch_add(std::chrono::duration_cast<sys::duration>(s).count()); };

  with_client(cfg, [&](client& c) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    // Results go to named variables: GCC 12 mishandles temporaries in a co_await
    // inside a larger expression (see the README), so no co_await in CHECK().
    boost::system::error_code last_ec;
    std::string last_msg;
    auto one = [&]() -> asio::awaitable<void> {
      auto [ec, r] = co_await c.call("ListTables", "{}", tuple_token);
      last_ec = ec;
      last_msg = r.diag.message;
    };
    auto last_key = [&] {
      auto ids = ddb.key_ids();
      return ids.empty() ? std::string() : ids.back();
    };
    // Twenty requests before any credentials exist: one fetch between them.
    std::atomic<int> failures{0};
    co_await detail::run_all(20, [&](std::size_t) -> asio::awaitable<void> {
      auto [ec, r] = co_await c.call("ListTables", "{}", tuple_token);
      if (ec) ++failures;
    });
    CHECK(failures == 0);
    CHECK(fetches == 1);
    CHECK(ddb.key_ids() == std::vector<std::string>(20, "KEY1"));

    // 11 minutes later (4 left, under refresh_before): the request is signed
    // with KEY1 at once and a refresh runs behind it.
    advance(11min);
    co_await one();
    CHECK_FALSE(last_ec);
    CHECK(last_key() == "KEY1");
    for (int i = 0; i < 2000 && last_key() != "KEY2"; ++i) {  // until the refresh lands (20 s on a loaded machine at most)
      asio::steady_timer t(ex, 10ms);
      co_await t.async_wait(asio::use_awaitable);
      co_await one();
      CHECK_FALSE(last_ec);
    }
    CHECK(last_key() == "KEY2");
    CHECK(fetches == 2);

    // The agent fails: requests go on with KEY2; the next try waits out the backoff.
    failing = true;
    advance(11min);
    const int before = agent.requests();
    co_await one();
    CHECK_FALSE(last_ec);
    CHECK(last_key() == "KEY2");
    for (int i = 0; i < 2000 && agent.requests() < before + 2; ++i) {  // the refresh: two attempts
      asio::steady_timer t(ex, 10ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    CHECK(agent.requests() == before + 2);
    co_await one();
    CHECK_FALSE(last_ec);  // within the backoff: no new fetch
    CHECK(agent.requests() == before + 2);
    advance(2s);
    co_await one();
    CHECK_FALSE(last_ec);  // after it: another try, still signed with KEY2
    CHECK(last_key() == "KEY2");

    // Expired, and the agent still down: the request fails and says why.
    advance(10min);
    co_await one();
    CHECK(last_ec == errc::credentials_expired);
    CHECK(last_msg.find("container-role") != std::string::npos);
    CHECK(last_msg.find("HTTP 500") != std::string::npos);

    // The agent is back: the next request fetches and goes through.
    failing = false;
    co_await one();
    CHECK_FALSE(last_ec);
    CHECK(last_key() == "KEY3");
  });
}

TEST_CASE("clock skew: a signature-expired answer corrects the clock from Date and retries once", "[creds]") {
  using sys = std::chrono::system_clock;
  std::atomic<bool> send_date{true};
  fault_server ddb([&](const request_info& r) {
    const std::string amz = header_value(r.head, "X-Amz-Date");  // 20261121T130500Z
    std::tm tm{};
    strptime(amz.c_str(), "%Y%m%dT%H%M%SZ", &tm);
    const auto signed_at = sys::from_time_t(timegm(&tm));
    const auto server_now = sys::now();
    if (std::chrono::abs(server_now - signed_at) <= 5min) return action::ok(R"({"TableNames":[]})");
    const std::time_t t = sys::to_time_t(server_now);
    std::tm g{};
    gmtime_r(&t, &g);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &g);
    return action::status(400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Signature expired: )" +
                                   amz + R"x( is now earlier than its limit (5 min.)"})x",
                          send_date ? "Date: " + std::string(date) + "\r\n" : std::string());
  });
  aws_env env;
  client_config cfg = ddb::test::config_for(ddb);
  cfg.clock = [] { return sys::now() - 1h; };  // this machine's clock is an hour slow
  SECTION("with a Date header") {
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto first = co_await c.call("ListTables", "{}");
      CHECK(first.diag.attempts == 2);
      auto second = co_await c.call("ListTables", "{}");
      CHECK(second.diag.attempts == 1);  // the offset is kept
    });
  }
  SECTION("without one: the error, once") {
    send_date = false;
    with_client(cfg, [&](client& c) -> asio::awaitable<void> {
      auto [ec, r] = co_await c.call("ListTables", "{}", tuple_token);
      CHECK(ec == service_errc::invalid_signature);
      CHECK(r.diag.attempts == 1);
    });
  }
}
