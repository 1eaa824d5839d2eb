// `ddb flags get|set|list` (in ddb-agent): feature flags in the agent table
// (ddb::agent::flags).
//
//   ddb flags list --table-name T --set S            {"generation":3,"flags":{"a":"1","b":"on"}}
//   ddb flags get --table-name T --set S --name N    the value (exit 1: no such flag)
//   ddb flags set --table-name T --set S --name N --value V [--create-table]
//                                                    publishes the set with that flag changed
//   ddb flags set ... --name N --remove               publishes it without the flag
//
// set reads the current generation and publishes on condition that it is
// still current; when another writer published meanwhile it reads again and
// retries (up to 5 times), so a concurrent change is never overwritten.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "cli/agent_commands.hpp"
#include "ddb/agent/flags.hpp"
#include "ddb/client.hpp"
#include "ddb/core/json.hpp"

namespace ddb::cli {

namespace asio = boost::asio;

int flags_command(const args& a) {
  if (a.positional.size() < 2) throw usage_error("say `ddb flags get`, `ddb flags set` or `ddb flags list`");
  const std::string what = a.positional[1];
  if (what != "get" && what != "set" && what != "list")
    throw usage_error("unknown flags command '" + what + "' (get, set or list)");
  const std::string table = a.require("table-name"), set = a.require("set");
  std::string name, new_value;
  const bool remove = a.options.count("remove") != 0;
  if (what != "list") name = a.require("name");
  if (what == "set" && !remove) new_value = a.require("value");

  return run_with_client(a, [&](ddb::client& c) -> asio::awaitable<int> {
    int rc = exit_client;
    ddb::agent::flags fl(c, {.table_name = table, .create_table = a.options.count("create-table") != 0});
    try {
      if (what == "set") {
        for (int attempt = 0;; ++attempt) {
          ddb::agent::flag_set_view now = co_await fl.read(set);
          std::map<std::string, std::string> next = now.flags;
          if (remove)
            next.erase(name);
          else
            next.insert_or_assign(name, new_value);
          auto [ec, p] = co_await fl.publish(set, next, now.generation, asio::as_tuple(asio::use_awaitable));
          if (ec == ddb::errc::version_conflict && attempt < 5) continue;  // someone published: read again
          if (ec) throw ddb::make_error(ec, std::move(p.diag));
          std::cout << "published generation " << p.generation << "\n";
          rc = 0;
          break;
        }
      } else {
        ddb::agent::flag_set_view now = co_await fl.read(set);
        if (what == "get") {
          auto f = now.flags.find(name);
          if (f == now.flags.end()) {
            std::cerr << "ddb flags: set '" << set << "' (generation " << now.generation << ") has no flag '" << name
                      << "'\n";
            rc = 1;
          } else {
            std::cout << f->second << "\n";
            rc = 0;
          }
        } else {
          ddb::item flags_item;
          for (const auto& [k, v] : now.flags) flags_item.insert_or_assign(k, v);
          std::cout << "{\"generation\":" << now.generation << ",\"flags\":" << ddb::json::to_plain_json(flags_item)
                    << "}\n";
          rc = 0;
        }
      }
    } catch (const ddb::error& e) {
      std::cerr << "ddb flags: " << e.what() << "\n";
      rc = exit_code_for(e.code());
    }
    co_return rc;
  });
}

}  // namespace ddb::cli
