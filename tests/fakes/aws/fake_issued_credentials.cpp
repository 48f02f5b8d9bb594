#include "fakes/aws/fake_issued_credentials.hpp"

#include <mutex>
#include <random>

namespace aar::fakes {
namespace {

std::string randomFrom(std::string_view alphabet, size_t length) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) out.push_back(alphabet[pick(rng)]);
  return out;
}

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string randomId(size_t length) { return randomFrom(kUpperDigits, length); }

IssuedCredentials issueCredentials(std::chrono::system_clock::time_point now, std::chrono::seconds duration) {
  IssuedCredentials c;
  c.access_key_id = "ASIA" + randomFrom(kUpperDigits, 16);
  c.secret_access_key = randomFrom(kBase64, 40);
  c.session_token = "FwoGZXIvYXdzE" + randomFrom(kBase64, 200) + "==";
  c.expiration = std::chrono::time_point_cast<std::chrono::seconds>(now + duration);
  return c;
}

}  // namespace aar::fakes
