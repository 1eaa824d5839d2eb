// The credential providers that need I/O (a process, STS, the container
// agent, instance metadata), run from a plan made by src/credentials/chain.cpp.
// Each fetch is a coroutine on the caller's executor; errors name the
// provider and the fix, and never quote a secret.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <boost/asio/post.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "credentials/chain.hpp"
#include "credentials/parse.hpp"
#include "ddb/core/sigv4.hpp"
#include "ddb/credentials.hpp"
#include "transport/http_fetch.hpp"
#include "credentials/process.hpp"
#include "credentials/providers.hpp"

namespace ddb {
namespace detail {
namespace asio = boost::asio;
namespace {

using auth::source;

struct outcome {
  boost::system::error_code ec;
  credentials creds;
  std::string message;
};

std::string label(const source& s) { return s.name + " (" + s.location + ")"; }

outcome failed(const source& s, const std::string& what, errc code = errc::credentials_unavailable) {
  return outcome{make_error_code(code), {}, label(s) + ": " + what};
}

// Reads a small file that holds a token (web identity, container authorization).
result<std::string> read_token_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(errc::credentials_unavailable, std::string("cannot read the ") + what + " file " + path + ": " +
                                                   std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) return fail(errc::credentials_unavailable, std::string("the ") + what + " file " + path + " is empty");
  return text;
}

// The body of a response that may carry secrets: parsed, then wiped.
struct wiped_body {
  std::string& body;
  ~wiped_body() { secure_wipe(body.data(), body.capacity()); }
};

std::string first_word(const std::string& command) {
  const std::size_t start = command.find_first_not_of(" \t");
  if (start == std::string::npos) return {};
  return command.substr(start, command.find_first_of(" \t", start) - start);
}

bool expired(const credentials& c) {
  return c.expiration && *c.expiration <= std::chrono::system_clock::now();
}

std::string http_problem(const fetch_result& r) {
  if (r.ec) return r.detail.empty() ? r.ec.message() : r.detail;
  return "HTTP " + std::to_string(r.response.status);
}

bool transient(const fetch_result& r) {
  if (r.ec) return r.ec != asio::error::operation_aborted && r.ec != errc::invalid_endpoint && r.ec != errc::invalid_header;
  return r.response.status >= 500 || r.response.status == 429;
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<outcome> fetch(const source& s);

asio::awaitable<outcome> from_process(const source& s) {
  process_result r = co_await run_process(s.command, s.options.process_timeout, 64 * 1024);
  const std::string prog = "credential_process '" + first_word(s.command) + "'";
  if (r.cancelled) co_return outcome{asio::error::operation_aborted, {}, label(s) + ": cancelled"};
  if (!r.spawn_error.empty()) co_return failed(s, prog + ": " + r.spawn_error);
  if (r.timed_out)
    co_return failed(s, prog + " did not finish within " + std::to_string(s.options.process_timeout.count()) +
                            " ms and was killed: fix the command, or raise credentials_options::process_timeout");
  if (r.output_too_large) co_return failed(s, prog + " printed more than 64 KB: it should print one JSON object");
  if (r.signal) co_return failed(s, prog + " was killed by signal " + std::to_string(r.signal));
  if (r.exit_code != 0) {
    std::string err = r.err.substr(0, 300);
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    co_return failed(s, prog + " exited with status " + std::to_string(r.exit_code) +
                            (err.empty() ? std::string() : ": " + err));
  }
  auto c = auth::parse_process_output(r.out);
  if (!c) co_return failed(s, prog + ": " + c.error().message + " (see the AWS docs for credential_process output)");
  if (expired(*c))
    co_return failed(s, prog + " returned credentials that expired at " + auth::format_iso8601(*c->expiration),
                     errc::credentials_expired);
  co_return outcome{{}, std::move(*c), {}};
}

// One STS query-protocol call, retried on network trouble, 5xx and throttling.
asio::awaitable<outcome> call_sts(const source& s, const std::string& form, const credentials* signer_creds) {
  constexpr int attempts = 3;
  fetch_result r;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    fetch_request req;
    req.method = "POST";
    req.url = s.sts_endpoint;
    req.timeout = s.options.sts_timeout;
    req.body = form;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    if (signer_creds) {
      auto target = split_url(s.sts_endpoint);
      if (!target) co_return failed(s, target.error().message + " (from AWS_ENDPOINT_URL_STS or the region)");
      try {
        sigv4::signer signer(*signer_creds, s.region.empty() ? "us-east-1" : s.region, "sts");
        sigv4::request sreq{"POST", target->second, {}, {{"Host", target->first.host_header},
                                                        {"Content-Type", req.headers[0].second}}, req.body};
        auto parts = signer.sign(sreq, std::chrono::system_clock::now());
        if (!parts) co_return failed(s, parts.error().message);
        for (auto& h : parts->headers_to_add) req.headers.emplace_back(h.name, h.value);
        req.headers.emplace_back("Authorization", parts->authorization);
      } catch (const ddb::error& e) {
        co_return failed(s, std::string("the source credentials cannot sign: ") + e.what());
      }
    }
    r = co_await http_fetch(std::move(req));
    if (r.ec == asio::error::operation_aborted) co_return outcome{r.ec, {}, label(s) + ": cancelled"};
    if (!r.ec && r.response.status == 200) break;
    const bool idp_busy = !r.ec && r.response.body.find("IDPCommunicationError") != std::string::npos;
    if (attempt == attempts || !(transient(r) || idp_busy)) break;
    co_await pause(std::chrono::milliseconds(100 * attempt));
  }
  wiped_body wipe{r.response.body};
  if (r.ec)
    co_return failed(s, "STS at " + s.sts_endpoint + " did not answer: " + http_problem(r) +
                            " (check the network, or AWS_ENDPOINT_URL_STS)");
  auto c = auth::parse_sts_response(r.response.body, r.response.status);
  if (!c) co_return failed(s, c.error().message);
  co_return outcome{{}, std::move(*c), {}};
}

std::string session_name(const source& s) {
  if (!s.session_name.empty()) return s.session_name;
  return "ddb-session-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch()).count());
}

asio::awaitable<outcome> from_web_identity(const source& s) {
  auto token = read_token_file(s.token_file, "web identity token");
  if (!token) co_return failed(s, token.error().message + " (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file)");
  std::string form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + auth::form_encode(s.role_arn) +
                     "&RoleSessionName=" + auth::form_encode(session_name(s)) +
                     "&WebIdentityToken=" + auth::form_encode(*token);
  secure_wipe(token->data(), token->capacity());
  outcome o = co_await call_sts(s, form, nullptr);
  secure_wipe(form.data(), form.capacity());
  co_return o;
}

asio::awaitable<outcome> from_assume_role(const source& s) {
  outcome base = co_await fetch(*s.base);
  if (base.ec) {
    base.message = label(s) + ": its source credentials failed: " + base.message;
    co_return base;
  }
  std::string form = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + auth::form_encode(s.role_arn) +
                     "&RoleSessionName=" + auth::form_encode(session_name(s));
  if (!s.external_id.empty()) form += "&ExternalId=" + auth::form_encode(s.external_id);
  if (s.duration_seconds) form += "&DurationSeconds=" + std::to_string(s.duration_seconds);
  outcome o = co_await call_sts(s, form, &base.creds);
  co_return o;
}

asio::awaitable<outcome> from_container(const source& s) {
  fetch_result r;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    fetch_request req;
    req.url = s.url;
    req.timeout = s.options.container_timeout;
    if (!s.auth_token_file.empty()) {
      auto t = read_token_file(s.auth_token_file, "container authorization token");
      if (!t) co_return failed(s, t.error().message + " (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)");
      req.headers.emplace_back("Authorization", std::move(*t));
    } else if (!s.auth_token.empty()) {
      req.headers.emplace_back("Authorization", s.auth_token);
    }
    r = co_await http_fetch(std::move(req));
    if (r.ec == asio::error::operation_aborted) co_return outcome{r.ec, {}, label(s) + ": cancelled"};
    if (r.ec == errc::invalid_header)
      co_return failed(s, "the authorization token holds CR, LF or NUL (AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])");
    if (!transient(r) || attempt == 2) break;
    co_await pause(std::chrono::milliseconds(100));
  }
  wiped_body wipe{r.response.body};
  if (r.ec) co_return failed(s, "the container credentials endpoint " + s.url + " did not answer: " + http_problem(r));
  if (r.response.status == 401 || r.response.status == 403)
    co_return failed(s, "the container credentials endpoint refused the request (HTTP " +
                            std::to_string(r.response.status) + "): check AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]");
  if (r.response.status != 200)
    co_return failed(s, "the container credentials endpoint answered HTTP " + std::to_string(r.response.status));
  auto c = auth::parse_metadata_credentials(r.response.body);
  if (!c) co_return failed(s, c.error().message);
  co_return outcome{{}, std::move(*c), {}};
}

asio::awaitable<outcome> from_instance_metadata(const source& s) {
  const std::string hint = ": not on EC2? Set AWS_EC2_METADATA_DISABLED=true, or configure credentials (aws configure)";
  std::string problem;
  for (int attempt = 1; attempt <= std::max(1, s.options.imds_attempts); ++attempt) {
    // IMDSv2: a session token first, then the role name, then its credentials.
    fetch_request put;
    put.method = "PUT";
    put.url = s.url + "/latest/api/token";
    put.timeout = s.options.imds_timeout;
    put.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    fetch_result token = co_await http_fetch(std::move(put));
    wiped_body wipe_token{token.response.body};
    if (token.ec == asio::error::operation_aborted) co_return outcome{token.ec, {}, label(s) + ": cancelled"};
    if (token.ec || token.response.status != 200) {
      problem = "the IMDSv2 token request failed: " + http_problem(token);
      if (!token.ec && (token.response.status == 403 || token.response.status == 405))
        co_return failed(s, problem + " (instance metadata is off for this instance, or IMDSv2 is blocked)");
      if (!token.ec && token.response.status < 500) break;
      continue;
    }
    auto get = [&](const std::string& path) {
      fetch_request g;
      g.url = s.url + path;
      g.timeout = s.options.imds_timeout;
      g.headers.emplace_back("X-aws-ec2-metadata-token", token.response.body);
      return http_fetch(std::move(g));
    };
    const std::string role_path = "/latest/meta-data/iam/security-credentials/";
    fetch_result role = co_await get(role_path);
    if (role.ec == asio::error::operation_aborted) co_return outcome{role.ec, {}, label(s) + ": cancelled"};
    if (!role.ec && role.response.status == 404)
      co_return failed(s, "no IAM role is attached to this instance (attach an instance profile)");
    if (role.ec || role.response.status != 200) {
      problem = "the role name request failed: " + http_problem(role);
      continue;
    }
    std::string name = role.response.body.substr(0, role.response.body.find('\n'));
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
    if (name.empty() || name.find('/') != std::string::npos)
      co_return failed(s, "instance metadata gave an unusable role name");
    const std::string creds_path = role_path + name;
    fetch_result creds = co_await get(creds_path);
    wiped_body wipe_creds{creds.response.body};
    if (creds.ec == asio::error::operation_aborted) co_return outcome{creds.ec, {}, label(s) + ": cancelled"};
    if (creds.ec || creds.response.status != 200) {
      problem = "the credentials request for role " + name + " failed: " + http_problem(creds);
      continue;
    }
    auto c = auth::parse_metadata_credentials(creds.response.body);
    if (!c) co_return failed(s, c.error().message);
    co_return outcome{{}, std::move(*c), {}};
  }
  co_return failed(s, problem + hint);
}

asio::awaitable<outcome> fetch(const source& s) {
  switch (s.what) {
    case source::kind::static_keys: co_return outcome{{}, s.keys, {}};
    case source::kind::process: co_return co_await from_process(s);
    case source::kind::web_identity: co_return co_await from_web_identity(s);
    case source::kind::assume_role: co_return co_await from_assume_role(s);
    case source::kind::container: co_return co_await from_container(s);
    case source::kind::imds: co_return co_await from_instance_metadata(s);
  }
  co_return failed(s, "unknown source");
}

class planned_provider final : public credentials_provider {
 public:
  explicit planned_provider(source s) : src_(std::make_shared<const source>(std::move(s))) {}
  std::string name() const override { return src_->name; }
  std::string location() const override { return src_->location; }
  void async_fetch(asio::any_io_executor ex, credentials_handler handler) override {
    auto slot = asio::get_associated_cancellation_slot(handler);
    asio::co_spawn(ex, fetch_owned(src_),
                   asio::bind_cancellation_slot(slot, [h = std::move(handler), src = src_](std::exception_ptr e,
                                                                                         outcome o) mutable {
                     if (e) o = failed(*src, "unexpected failure");
                     std::move(h)(o.ec, std::move(o.creds), std::move(o.message));
                   }));
  }

 private:
  // Keeps the plan alive for the coroutine's whole life.
  static asio::awaitable<outcome> fetch_owned(std::shared_ptr<const source> s) { co_return co_await fetch(*s); }
  std::shared_ptr<const source> src_;
};

class fixed_provider final : public credentials_provider {
 public:
  fixed_provider(credentials c, std::string name, std::string location = {})
      : creds_(std::move(c)), name_(std::move(name)), location_(std::move(location)) {}
  std::string name() const override { return name_; }
  std::string location() const override { return location_; }
  const credentials& keys() const noexcept { return creds_; }
  void async_fetch(asio::any_io_executor ex, credentials_handler handler) override {
    asio::post(ex, [h = std::move(handler), c = creds_]() mutable { std::move(h)(boost::system::error_code(), std::move(c), std::string()); });
  }

 private:
  credentials creds_;
  std::string name_, location_;
};

const char* getenv_lookup(const char* name) { return std::getenv(name); }

}  // namespace

const credentials* fixed_credentials_of(const credentials_provider* p) noexcept {
  auto* f = dynamic_cast<const fixed_provider*>(p);
  return f ? &f->keys() : nullptr;
}

}  // namespace detail

std::shared_ptr<credentials_provider> static_credentials(credentials c, std::string name) {
  return std::make_shared<detail::fixed_provider>(std::move(c), std::move(name));
}

resolved_settings resolve_settings(const settings_input& cfg) {
  const detail::env_lookup env = detail::getenv_lookup;
  // A client given its region and credentials reads no files (a broken
  // ~/.aws/config cannot stop it); otherwise they are part of the answer.
  const bool self_contained = !cfg.region.empty() && (cfg.credentials || cfg.credentials_provider) && cfg.profile.empty();
  auth::shared_files files;
  if (!self_contained) {
    auto loaded = auth::load_shared_files(env);
    if (!loaded) throw ddb::error(std::move(loaded).error());
    files = std::move(*loaded);
  }
  auto plan = auth::plan_settings(cfg, env, files);
  if (!plan) throw ddb::error(std::move(plan).error());
  resolved_settings r;
  r.profile = std::move(plan->profile);
  r.profile_source = std::move(plan->profile_source);
  r.region = std::move(plan->region);
  r.region_source = std::move(plan->region_source);
  r.endpoint_url = std::move(plan->endpoint_url);
  r.endpoint_source = std::move(plan->endpoint_source);
  r.ca_file = std::move(plan->ca_file);
  r.ca_source = std::move(plan->ca_source);
  if (cfg.credentials)
    r.provider = static_credentials(*cfg.credentials, cfg.origin + "::credentials");
  else if (cfg.credentials_provider)
    r.provider = cfg.credentials_provider;
  else if (plan->credentials->what == auth::source::kind::static_keys)
    r.provider = std::make_shared<detail::fixed_provider>(plan->credentials->keys, plan->credentials->name,
                                                          plan->credentials->location);
  else
    r.provider = std::make_shared<detail::planned_provider>(std::move(*plan->credentials));
  return r;
}

}  // namespace ddb
