// `ddb memory` and `ddb checkpoint` (in ddb-agent): session memory and run
// checkpoints in the agent table (ddb::agent::memory, ddb::agent::checkpoints).
//
//   ddb memory append --table-name T --user U --conversation C --role R (--content TEXT | --content-file F)
//                     [--run-id ID] [--create-table]          prints the message's id
//   ddb memory last --table-name T --user U --conversation C [--limit 20] [--consistent]
//                                                             JSON lines, newest first
//   ddb checkpoint save --table-name T --thread TH (--parent N | --continue) (--payload TEXT | --payload-file F)
//                       [--metadata M] [--create-table]       prints the id; a fork refused: exit 1
//   ddb checkpoint get --table-name T --thread TH [--id N] [--payload-only]
//                                                             JSON (or the payload itself); none: exit 1
//   ddb checkpoint list --table-name T --thread TH [--limit 100]   JSON lines, newest first
//
// --continue saves on the latest checkpoint (0 when there is none) and, when
// another writer saved first, reads the latest again and retries (up to 5 times).
#include <boost/asio/as_tuple.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/agent_commands.hpp"
#include "ddb/agent/checkpoint.hpp"
#include "ddb/agent/memory.hpp"
#include "ddb/core/json.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

namespace {

// --NAME TEXT or --NAME-file PATH (arguments are limited to 128 KB each).
std::string text_or_file(const args& a, const std::string& name) {
  if (a.options.count(name)) return a.options.at(name);
  const std::string path = a.get(name + "-file");
  if (path.empty()) throw usage_error("give --" + name + " TEXT or --" + name + "-file PATH");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw usage_error("cannot read " + path + " (from --" + name + "-file)");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

agent::table_options table_of(const args& a) {
  return {.table_name = a.require("table-name"), .create_table = a.options.count("create-table") != 0};
}

std::string json_line(const ddb::item& it) { return ddb::json::to_plain_json(it); }

// Runs body; a ddb::error becomes its message on stderr and its exit code.
int guarded(const char* what, const std::function<asio::awaitable<int>(ddb::client&)>& body, const args& a) {
  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<int> {
    int rc = exit_client;
    try {
      rc = co_await body(c);
    } catch (const ddb::error& e) {
      std::cerr << "ddb " << what << ": " << e.what() << "\n";
      rc = exit_code_for(e.code());
    }
    co_return rc;
  });
}

}  // namespace

int memory_command(const args& a) {
  const std::string what = a.positional.size() > 1 ? a.positional[1] : "";
  if (what != "append" && what != "last") throw usage_error("say `ddb memory append` or `ddb memory last`");
  const agent::table_options t = table_of(a);
  const std::string user = a.require("user"), conversation = a.require("conversation");
  std::string role, content;
  if (what == "append") {
    role = a.require("role");
    content = text_or_file(a, "content");
  }
  const std::string run_id = a.get("run-id");
  agent::read_options ro;
  ro.limit = static_cast<std::size_t>(a.number("limit", 20));
  ro.consistent = a.options.count("consistent") != 0;
  return guarded("memory", [&](ddb::client& c) -> asio::awaitable<int> {
    agent::memory m(c, t);
    if (what == "append") {
      const agent::appended r = co_await m.append(user, conversation, role, content, run_id);
      std::cout << r.id << "\n";
      co_return 0;
    }
    // A page stops early past 16 MB of content: follow `next` to --limit.
    const std::size_t wanted = ro.limit;
    for (std::size_t printed = 0;;) {
      agent::message_page page = co_await m.last(user, conversation, ro);
      for (const agent::message& msg : page.messages)
        std::cout << json_line(item{{"id", msg.id}, {"role", msg.role}, {"content", msg.content},
                                    {"run_id", msg.run_id}, {"at_ms", msg.at_ms}})
                  << "\n";
      printed += page.messages.size();
      if (!page.next || printed >= wanted || page.messages.empty()) break;
      ro.before = page.next;
      ro.limit = wanted - printed;
    }
    co_return 0;
  }, a);
}

int checkpoint_command(const args& a) {
  const std::string what = a.positional.size() > 1 ? a.positional[1] : "";
  if (what != "save" && what != "get" && what != "list")
    throw usage_error("say `ddb checkpoint save`, `ddb checkpoint get` or `ddb checkpoint list`");
  const agent::table_options t = table_of(a);
  const std::string thread = a.require("thread");
  std::string payload, metadata = a.get("metadata");
  const bool keep_on = a.options.count("continue") != 0;
  long parent = -1;
  if (what == "save") {
    payload = text_or_file(a, "payload");
    if (keep_on == (a.options.count("parent") > 0)) throw usage_error("give --parent N or --continue (one of them)");
    if (!keep_on) parent = a.options.at("parent") == "0" ? 0 : a.number("parent", 0);
  }
  const long id = a.number("id", 0);
  const long limit = a.number("limit", 100);
  return guarded("checkpoint", [&](ddb::client& c) -> asio::awaitable<int> {
    agent::checkpoints cps(c, t);
    if (what == "save") {
      for (int attempt = 0;; ++attempt) {
        std::int64_t on = parent;
        if (keep_on) {
          const std::optional<agent::checkpoint> last = co_await cps.latest(thread);
          on = last ? last->id : 0;
        }
        auto [ec, r] = co_await cps.save(thread, on, payload, metadata, asio::as_tuple(asio::use_awaitable));
        if (ec == ddb::errc::checkpoint_conflict && keep_on && attempt < 5) continue;  // read the latest again
        if (ec == ddb::errc::checkpoint_conflict) {
          std::cerr << "ddb checkpoint: " << r.diag.message << "\n";
          co_return 1;
        }
        if (ec) throw ddb::make_error(ec, std::move(r.diag));
        std::cout << r.id << "\n";
        co_return 0;
      }
    }
    if (what == "get") {
      std::optional<agent::checkpoint> cp;
      if (id)
        cp = co_await cps.load(thread, id);
      else
        cp = co_await cps.latest(thread);
      if (!cp) {
        std::cerr << "ddb checkpoint: thread '" << thread << "' has no checkpoint" << (id ? " " + std::to_string(id) : "")
                  << "\n";
        co_return 1;
      }
      if (a.options.count("payload-only")) {
        std::cout << cp->payload;
      } else {
        std::cout << json_line(item{{"id", cp->id}, {"parent", cp->parent}, {"metadata", cp->metadata},
                                    {"payload_size", static_cast<std::int64_t>(cp->payload.size())}})
                  << "\n";
      }
      co_return 0;
    }
    const agent::checkpoint_page page = co_await cps.list(thread, 0, static_cast<std::size_t>(limit));
    for (const agent::checkpoint& cp : page.checkpoints)
      std::cout << json_line(item{{"id", cp.id}, {"parent", cp.parent}, {"metadata", cp.metadata},
                                  {"payload_size", static_cast<std::int64_t>(cp.payload_size)}})
                << "\n";
    co_return 0;
  }, a);
}

}  // namespace ddb::cli
