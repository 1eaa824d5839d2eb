#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

namespace ddb::test {

// A unit vector along axis i, tilted toward axis j so that its cosine
// similarity with axis i is `cos`: a stored embedding and its paraphrase.
inline std::vector<float> unit(std::size_t dim, std::size_t i, std::size_t j = 0, float cos = 1.0f) {
  std::vector<float> v(dim, 0.0f);
  v[i] = cos;
  if (cos < 1.0f) v[j] = std::sqrt(1.0f - cos * cos);
  return v;
}

}  // namespace ddb::test
