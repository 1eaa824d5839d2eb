#include "credentials/shared_config.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ddb::auth {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Cuts a comment that starts with '#' or ';' after white space.
std::string_view strip_value_comment(std::string_view v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if ((v[i] == '#' || v[i] == ';') && is_space(v[i - 1])) return trim(v.substr(0, i));
  return v;
}

failure ini_error(std::string_view file, int line, const std::string& what) {
  return fail(errc::invalid_config, std::string(file) + ":" + std::to_string(line) + ": " + what);
}

std::string home_dir(const env_lookup& env) {
  if (const char* h = env ? env("HOME") : nullptr; h && *h) return h;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return {};
}

std::string expand_home(const std::string& path, const env_lookup& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) return home_dir(env) + path.substr(1);
  return path;
}

std::string file_path(const env_lookup& env, const char* variable, const char* default_name) {
  if (const char* v = env ? env(variable) : nullptr; v && *v) return expand_home(v, env);
  return home_dir(env) + "/.aws/" + default_name;
}

// Reads a whole file; a missing one is "not found", anything else an error.
result<bool> read_file(const std::string& path, std::string& out, const char* which) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return fail(errc::invalid_config, "cannot read the AWS " + std::string(which) + " file " + path + ": " +
                                          std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return fail(errc::invalid_config, "the AWS " + std::string(which) + " file " + path +
                                          " is a directory: point it at a file");
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return fail(errc::invalid_config, "cannot read the AWS " + std::string(which) + " file " + path + ": " +
                                          std::strerror(errno) + " (check its permissions)");
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return true;
}

void add_section(std::map<std::string, profile>& profiles, const std::string& name, const ini_section& s,
                 const std::string& path) {
  profile& p = profiles[name];
  p.name = name;
  for (const ini_entry& e : s.entries) {
    setting& slot = p.settings[e.name];
    secure_wipe(slot.value.data(), slot.value.capacity());  // an overridden secret
    slot.value = e.value;
    slot.origin = path + ":" + std::to_string(e.line);
  }
}

}  // namespace

result<std::vector<ini_section>> parse_ini(std::string_view text, std::string_view file_name) {
  std::vector<ini_section> out;
  int line_no = 0;
  std::string parent;          // a setting with an empty value: indented lines below are its sub-settings
  ini_entry* last = nullptr;   // the setting indented lines continue
  std::size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // a UTF-8 byte order mark
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (raw.find('\0') != std::string_view::npos) return ini_error(file_name, line_no, "a NUL byte: this is not a text file");
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = is_space(raw[0]);
    if (line[0] == '[') {
      std::size_t close = line.find(']');
      if (close == std::string_view::npos)
        return ini_error(file_name, line_no, "a section header without ']' (write it as [name])");
      std::string_view after = trim(line.substr(close + 1));
      if (!after.empty() && after[0] != '#' && after[0] != ';')
        return ini_error(file_name, line_no, "text after the section header's ']'");
      std::string_view name = trim(line.substr(1, close - 1));
      if (name.empty()) return ini_error(file_name, line_no, "an empty section name");
      out.push_back(ini_section{std::string(name), line_no, {}});
      parent.clear();
      last = nullptr;
      continue;
    }
    if (out.empty())
      return ini_error(file_name, line_no, "a setting before any [section]: put it under [default] or [profile NAME]");
    if (indented && last) {
      const std::size_t eq = line.find_first_of("=:");
      if (!parent.empty() && eq != std::string_view::npos) {
        std::string_view name = trim(line.substr(0, eq));
        if (name.empty()) return ini_error(file_name, line_no, "a sub-setting without a name");
        out.back().entries.push_back(
            ini_entry{parent + "." + std::string(name), std::string(strip_value_comment(trim(line.substr(eq + 1)))), line_no});
        last = &out.back().entries.back();  // parent stays: the next indented line is another sub-setting
        continue;
      }
      if (parent.empty()) {  // a value continued on the next line
        last->value += "\n";
        last->value += strip_value_comment(line);
        continue;
      }
    }
    const std::size_t eq = line.find_first_of("=:");
    if (eq == std::string_view::npos)
      return ini_error(file_name, line_no,
                       "expected 'name = value', a [section] or a comment (the line is not shown: it may hold a key)");
    std::string_view name = trim(line.substr(0, eq));
    if (name.empty()) return ini_error(file_name, line_no, "a setting without a name before '='");
    std::string_view value = strip_value_comment(trim(line.substr(eq + 1)));
    out.back().entries.push_back(ini_entry{std::string(name), std::string(value), line_no});
    last = &out.back().entries.back();
    parent = value.empty() ? std::string(name) : std::string();
  }
  return out;
}

std::string shared_files::describe() const {
  auto one = [](const std::string& path, bool found) { return found ? path : path + " (missing)"; };
  return one(config_path, config_found) + " and " + one(credentials_path, credentials_found);
}

result<shared_files> merge_shared_files(const std::vector<ini_section>& config, std::string config_path,
                                        const std::vector<ini_section>& creds, std::string credentials_path) {
  shared_files f;
  f.config_path = std::move(config_path);
  f.credentials_path = std::move(credentials_path);
  for (const ini_section& s : config) {
    std::string_view n = s.name;
    if (n == "default") {
      add_section(f.profiles, "default", s, f.config_path);
    } else if (n.substr(0, 8) == "profile " || n.substr(0, 8) == "profile\t") {
      std::string_view name = trim(n.substr(8));
      if (name.empty()) return ini_error(f.config_path, s.line, "[profile] without a profile name");
      add_section(f.profiles, std::string(name), s, f.config_path);
    }
    // [sso-session x], [services x] and bare [x] (which the CLI ignores in the config file) are skipped.
  }
  for (const ini_section& s : creds) add_section(f.profiles, s.name, s, f.credentials_path);
  return f;
}

std::string config_file_path(const env_lookup& env) { return file_path(env, "AWS_CONFIG_FILE", "config"); }
std::string credentials_file_path(const env_lookup& env) {
  return file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

result<shared_files> load_shared_files(const env_lookup& env) {
  const std::string config_path = config_file_path(env), creds_path = credentials_file_path(env);
  std::string config_text, creds_text;
  auto config_found = read_file(config_path, config_text, "config");
  if (!config_found) return std::move(config_found).error();
  auto creds_found = read_file(creds_path, creds_text, "credentials");
  if (!creds_found) return std::move(creds_found).error();
  auto config = parse_ini(config_text, config_path);
  if (!config) return std::move(config).error();
  auto creds = parse_ini(creds_text, creds_path);
  secure_wipe(creds_text.data(), creds_text.size());
  if (!creds) return std::move(creds).error();
  auto merged = merge_shared_files(*config, config_path, *creds, creds_path);
  if (merged) {
    merged->config_found = *config_found;
    merged->credentials_found = *creds_found;
  }
  return merged;
}

}  // namespace ddb::auth
