#pragma once
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ddb::test {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open test file " + path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string data_path(const std::string& rel) { return std::string(DDB_TEST_DATA) + "/" + rel; }

}  // namespace ddb::test
