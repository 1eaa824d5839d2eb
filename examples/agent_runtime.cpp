// A small agent runtime on ddb: an HTTP server (Boost.Beast, coroutines)
// that takes user messages and answers them, with every piece of state in
// DynamoDB:
//   - a per-user rate limit (ddb::agent::rate_limiter: 3 messages a minute),
//   - session memory (ddb::agent::memory: the model sees the conversation),
//   - the semantic cache (ddb::cache: general answers come back without the model),
//   - a model: a loopback stand-in this program starts (it may ask for a tool),
//   - tool calls through the tool-call ledger (ddb::agent::ledger): each
//     request is a run keyed by its request id, every step recorded, so a
//     crash and a retry of the same request replay the recorded steps instead
//     of repeating them (the weather tool runs once, whatever happens),
//   - a feature flag (ddb::agent::flags: "weather-tool" in set "prod"), whose
//     cache a Streams consumer (ddb::streams) drops as soon as it changes.
//
//   agent_runtime serve --table T --port P [--tool-log FILE] [--crash-after-tool]   (P 0: any free port)
//   agent_runtime say --port P --user U --conversation C --request-id R MESSAGE
//
// `say` prints the answer and what the runtime did. --crash-after-tool makes
// the server die (as if killed) right after the first tool call it actually
// runs was recorded, before it answers. The demo: scripts/demo-agent.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "ddb/agent/flags.hpp"
#include "ddb/agent/ledger.hpp"
#include "ddb/agent/memory.hpp"
#include "ddb/agent/rate_limit.hpp"
#include "ddb/cache.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"
#include "ddb/streams/consumer.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// --- plain JSON objects of strings, through ddb's plain-JSON codec ----------------
using fields = std::map<std::string, std::string>;

std::string to_json(const fields& f) {
  ddb::item it;
  for (const auto& [k, v] : f) it.insert_or_assign(k, ddb::value(v));
  return ddb::json::to_plain_json(it);
}

fields from_json(const std::string& body) {
  auto it = ddb::json::parse_plain_item(body);
  if (!it) throw ddb::error(std::move(it).error());
  fields out;
  for (const auto& [k, v] : *it)
    if (const std::string* s = v.get_if<std::string>()) out[k] = *s;
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// --- HTTP on loopback: one server loop, one client call ---------------------------
using handler = std::function<asio::awaitable<response>(const request&)>;

asio::awaitable<void> session(tcp::socket sock, handler handle) {
  boost::beast::flat_buffer buf;
  for (;;) {
    request req;
    auto [ec, n] = co_await http::async_read(sock, buf, req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    response res = co_await handle(req);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(sock, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) co_return;
  }
}

asio::awaitable<void> serve_http(tcp::acceptor& acceptor, handler handle) {
  for (;;) {
    tcp::socket sock = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(std::move(sock), handle), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);  // a bug, not a client's doing: stop loudly
    });
  }
}

asio::awaitable<response> post(unsigned short port, const std::string& target, const std::string& body) {
  tcp::socket s(co_await asio::this_coro::executor);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  co_await s.async_connect(ep, asio::use_awaitable);
  request req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  co_await http::async_write(s, req, asio::use_awaitable);
  boost::beast::flat_buffer buf;
  response res;
  co_await http::async_read(s, buf, res, asio::use_awaitable);
  co_return res;
}

response reply(http::status status, const fields& f) {
  response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = to_json(f);
  return res;
}

// --- the stand-in model --------------------------------------------------------------
// Knows one capital, remembers names from the conversation, and asks for the
// weather tool when asked about the weather. "cacheable" marks answers that
// do not depend on who asks.
fields model_answer(const fields& in) {
  const std::string prompt = lower(in.at("prompt")), history = in.count("history") ? in.at("history") : "";
  if (auto at = prompt.find("weather in "); at != std::string::npos) {
    std::string city = in.at("prompt").substr(at + 11);
    city.erase(std::remove(city.begin(), city.end(), '?'), city.end());
    return {{"tool", "weather"}, {"args", city}, {"text", "The weather in " + city + ": {tool}."}};
  }
  if (prompt.find("capital of france") != std::string::npos)
    return {{"text", "Paris is the capital of France."}, {"cacheable", "yes"}};
  if (auto at = prompt.find("my name is "); at != std::string::npos)
    return {{"text", "Nice to meet you, " + in.at("prompt").substr(at + 11) + "."}};
  if (prompt.find("what is my name") != std::string::npos) {
    const std::string h = lower(history);
    if (auto at = h.rfind("my name is "); at != std::string::npos) {
      std::string name = history.substr(at + 11);
      name = name.substr(0, name.find('\n'));
      return {{"text", "Your name is " + name + "."}};
    }
    return {{"text", "You have not told me your name."}};
  }
  return {{"text", "I can tell you about capitals, the weather, and your name."}};
}

// --- the runtime ------------------------------------------------------------------------
struct runtime {
  ddb::client& db;
  std::string table;
  unsigned short model_port;
  std::string tool_log;
  bool crash_after_tool;
  ddb::agent::rate_limiter limits;
  ddb::agent::memory memory;
  ddb::agent::ledger ledger;
  ddb::agent::flags flags;
  ddb::cache::semantic_cache& cache;

  // One step of the request's run: fn runs the first time, a retry of the
  // request gets its recorded result back.
  // (GCC 12: the std::function is built by the caller, outside any co_await.)
  asio::awaitable<ddb::agent::once_result> step(const std::string& run, std::int64_t n, const std::string& args,
                                                const ddb::agent::idempotency::function& fn) {
    ddb::agent::once_result r = co_await ledger.call(run, n, args, fn);
    co_return r;
  }

  // A step that appends a message to the conversation (the strings outlive the step).
  ddb::agent::idempotency::function remembering(const std::string& user, const std::string& conv, std::string role,
                                                const std::string& text, const std::string& run) {
    return [this, &user, &conv, role = std::move(role), &text, &run]() -> asio::awaitable<std::string> {
      ddb::agent::appended a = co_await memory.append(user, conv, role, text, run);
      co_return a.id;
    };
  }

  asio::awaitable<response> chat(const request& req) {
    const fields in = from_json(req.body());
    for (const char* f : {"user", "conversation", "request_id", "message"})
      if (!in.count(f) || in.at(f).empty()) {
        response bad = reply(http::status::bad_request, {{"error", std::string("missing ") + f}});
        co_return bad;
      }
    const std::string &user = in.at("user"), &conv = in.at("conversation"), &run = in.at("request_id"),
                      &message = in.at("message");
    std::vector<std::string> events;
    auto note = [&](std::string e) { events.push_back(std::move(e)); };
    const ddb::agent::run_info started = co_await ledger.start(run);
    if (!started.created) note("ledger: run " + run + " exists: its recorded steps are replayed");

    // 0. The rate limit, taken once per request (a retry replays the answer).
    const ddb::agent::idempotency::function take = [&]() -> asio::awaitable<std::string> {
      const ddb::agent::limit per_user = ddb::agent::limit::per_minute("user#" + user, 3, 3);
      ddb::agent::take_result t = co_await limits.take(per_user);
      std::string out = t.admitted ? std::string("admitted") : "denied " + std::to_string(t.retry_after.count());
      co_return out;
    };
    const ddb::agent::once_result taken = co_await step(run, 0, user, take);
    if (taken.value != "admitted") {
      note("rate limit: denied, retry after " + taken.value.substr(7) + " ms");
      response denied = reply(http::status::too_many_requests,
                              {{"error", "rate limited"}, {"retry_after_ms", taken.value.substr(7)}, {"events", join(events)}});
      co_return denied;
    }
    note("rate limit: admitted");

    // 1. The user's message into memory (once).
    const ddb::agent::idempotency::function remember_question = remembering(user, conv, "user", message, run);
    (void)co_await step(run, 1, message, remember_question);

    // 2. The cache, then the model (asked once per request, its answer recorded).
    std::string answer, source;
    const ddb::cache::lookup l = co_await cache.get(message);
    if (l.hit) {
      answer = l.hit->response;
      source = "cache";
      note("cache: " + l.hit->layer + " hit");
    } else {
      note(std::string("cache: miss (") + ddb::cache::to_string(l.reason) + ")");
      ddb::agent::read_options recent;
      recent.limit = 20;
      const ddb::agent::message_page page = co_await memory.last(user, conv, recent);
      std::string history;
      for (auto it = page.messages.rbegin(); it != page.messages.rend(); ++it) history += it->content + "\n";
      note("memory: the model sees " + std::to_string(page.messages.size()) + " message(s)");
      const ddb::agent::idempotency::function ask = [&]() -> asio::awaitable<std::string> {
        const std::string body = to_json({{"prompt", message}, {"history", history}}), target = "/complete";
        response r = co_await post(model_port, target, body);
        co_return r.body();
      };
      const ddb::agent::once_result asked = co_await step(run, 2, message, ask);
      const fields model = from_json(asked.value);
      note(asked.replayed ? "model: answer replayed from the ledger" : "model: asked");
      answer = model.at("text");
      source = "model";
      if (model.count("tool")) {
        // 3. The tool, behind the flag, through the ledger.
        const std::string set = "prod", flag = "weather-tool";
        const ddb::agent::flag_value enabled = co_await flags.get(set, flag);
        if (enabled.value != "on") {
          answer = "The weather tool is switched off.";
          note("flag prod/weather-tool: " + enabled.value.value_or("unset") + ", so no tool call");
        } else {
          const std::string args = model.at("args");
          const ddb::agent::idempotency::function weather = [&]() -> asio::awaitable<std::string> {
            std::ofstream(tool_log, std::ios::app) << "weather(" << args << ")\n";  // the side effect
            std::string forecast = args.size() % 2 ? "sunny, 21 C" : "light rain, 14 C";
            co_return forecast;
          };
          const ddb::agent::once_result tool = co_await step(run, 3, args, weather);
          note("tool weather(" + args + "): " + (tool.replayed ? "replayed from the ledger, not run again"
                                                               : "ran, result recorded in the ledger"));
          if (crash_after_tool && !tool.replayed) {
            std::fflush(nullptr);
            std::_Exit(137);  // dies here, as if killed, before answering
          }
          answer.replace(answer.find("{tool}"), 6, tool.value);
          source = "tool";
        }
      } else if (model.count("cacheable")) {
        co_await cache.put(message, answer);
        note("cache: answer stored");
      }
    }

    // 4. The answer into memory (once), and the run finished.
    const ddb::agent::idempotency::function remember_answer = remembering(user, conv, "assistant", answer, run);
    (void)co_await step(run, 4, answer, remember_answer);
    const ddb::agent::run_info now = co_await ledger.get(run);
    if (now.status == ddb::agent::run_status::running)
      (void)co_await ledger.finish(run, ddb::agent::run_status::succeeded, now.version);
    response ok = reply(http::status::ok, {{"answer", answer}, {"source", source}, {"events", join(events)}});
    co_return ok;
  }

  static std::string join(const std::vector<std::string>& events) {
    std::string out;
    for (const std::string& e : events) out += (out.empty() ? "" : "\n") + e;
    return out;
  }
};

// Drops the flag cache when a flag set changes (the agent table's stream).
asio::awaitable<void> follow_flags(ddb::client& db, ddb::agent::flags& flags, const std::string& table) {
  ddb::streams::client streams(db.get_executor(), ddb::streams::config_like(db));
  ddb::streams::consumer feed(streams, db,
                              {.table_name = table, .start = ddb::streams::start_position::latest, .idle_wait = 200ms});
  for (;;) {
    ddb::streams::batch b = co_await feed.next();
    for (const ddb::streams::record& r : b.records)
      if (auto set = flags.invalidate_changed(r.keys)) std::printf("[runtime] flag set %s changed: cache dropped\n", set->c_str());
    std::fflush(stdout);
  }
}

asio::awaitable<void> serve(std::map<std::string, std::string> opt) {
  auto ex = co_await asio::this_coro::executor;
  ddb::client db(ex);
  const std::string table = opt.at("table");
  const ddb::agent::table_options t{.table_name = table, .create_table = true, .stream = true};

  // The model, on an ephemeral loopback port.
  tcp::acceptor model_acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const unsigned short model_port = model_acceptor.local_endpoint().port();
  asio::co_spawn(ex, serve_http(model_acceptor, [](const request& req) -> asio::awaitable<response> {
                   response r = reply(http::status::ok, model_answer(from_json(req.body())));
                   co_return r;
                 }),
                 [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });

  ddb::cache::dynamodb_store_options so;
  so.table_name = table + "_cache";
  so.create_table = true;
  auto store = std::make_shared<ddb::cache::dynamodb_store>(db, so);
  ddb::cache::semantic_cache cache(ex, store, std::make_shared<ddb::cache::hash_embedder>(384));
  co_await cache.open();
  runtime rt{db, table, model_port, opt.count("tool-log") ? opt.at("tool-log") : "tool-calls.log",
             opt.count("crash-after-tool") != 0, ddb::agent::rate_limiter(db, t), ddb::agent::memory(db, t),
             ddb::agent::ledger(db, t), ddb::agent::flags(db, t), cache};
  const std::string warm_up = "warm-up";
  (void)co_await rt.ledger.start(warm_up);  // creates the table (with its stream) before the consumer looks
  asio::co_spawn(ex, follow_flags(db, rt.flags, table), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });

  const auto port = static_cast<unsigned short>(std::stoi(opt.at("port")));
  tcp::acceptor acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::printf("[runtime] listening on 127.0.0.1:%u (model on :%u, table %s)\n", acceptor.local_endpoint().port(),
              model_port, table.c_str());
  std::fflush(stdout);
  co_await serve_http(acceptor, [&rt](const request& req) -> asio::awaitable<response> {
    if (req.method() != http::verb::post || req.target() != "/chat") {
      response none = reply(http::status::not_found, {{"error", "POST /chat"}});
      co_return none;
    }
    std::string failure;
    try {
      response r = co_await rt.chat(req);
      co_return r;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::printf("[runtime] request failed: %s\n", failure.c_str());
    response broken = reply(http::status::internal_server_error, {{"error", failure}});
    co_return broken;
  });
}

asio::awaitable<void> say(std::map<std::string, std::string> opt, std::string message, int& rc) {
  const fields body{{"user", opt.at("user")}, {"conversation", opt.at("conversation")},
                    {"request_id", opt.at("request-id")}, {"message", message}};
  const auto port = static_cast<unsigned short>(std::stoi(opt.at("port")));
  std::printf("%s> %s\n", opt.at("user").c_str(), message.c_str());
  const std::string target = "/chat", json = to_json(body);
  auto ex = co_await asio::this_coro::executor;
  auto [ec, res] = co_await asio::co_spawn(ex, post(port, target, json), asio::as_tuple(asio::use_awaitable));
  if (ec) {
    std::printf("  (no answer: the runtime is down)\n");
    rc = 3;
    co_return;
  }
  const fields out = from_json(res.body());
  if (res.result() == http::status::ok) {
    std::printf("agent (%s): %s\n", out.at("source").c_str(), out.at("answer").c_str());
  } else {
    std::printf("agent: HTTP %u, %s\n", res.result_int(), out.count("error") ? out.at("error").c_str() : "");
    rc = res.result() == http::status::too_many_requests ? 4 : 1;
  }
  if (out.count("events")) {
    std::string events = out.at("events");
    for (std::size_t at = 0; at < events.size();) {
      const std::size_t end = std::min(events.find('\n', at), events.size());
      std::printf("    - %s\n", events.substr(at, end - at).c_str());
      at = end + 1;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--crash-after-tool") opt[a.substr(2)] = "1";
    else if (a.rfind("--", 0) == 0 && i + 1 < argc) opt[a.substr(2)] = argv[++i];
    else words.push_back(a);
  }
  const bool serving = !words.empty() && words[0] == "serve" && opt.count("table") && opt.count("port");
  const bool saying = words.size() == 2 && words[0] == "say" && opt.count("port") && opt.count("user") &&
                      opt.count("conversation") && opt.count("request-id");
  if (!serving && !saying) {
    std::cerr << "usage: agent_runtime serve --table T --port P [--tool-log FILE] [--crash-after-tool]\n"
                 "       agent_runtime say --port P --user U --conversation C --request-id R MESSAGE\n";
    return 2;
  }
  asio::io_context io;
  int rc = 0;
  auto done = [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << "agent_runtime: " << x.what() << "\n";
      rc = 1;
      io.stop();
    }
  };
  if (serving)
    asio::co_spawn(io, serve(opt), done);
  else
    asio::co_spawn(io, say(opt, words[1], rc), done);
  io.run();
  return rc;
}
