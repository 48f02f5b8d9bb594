// Fuzz target: the watch stream decoder. The input is fed in chunks whose sizes come from the input itself,
// so line splitting across chunk boundaries is exercised. Properties: never crash or hang; feeding the same
// bytes in one chunk yields the same events as feeding them in pieces (when neither fails).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kube/watch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  aar::kube::WatchDecoder pieces(4096);
  std::vector<aar::kube::WatchEvent> piece_events;
  bool pieces_ok = true;
  for (size_t at = 0; at < stream.size() && pieces_ok; at += step) {
    pieces_ok = pieces.feed(stream.substr(at, step), &piece_events).ok();
  }

  aar::kube::WatchDecoder whole(4096);
  std::vector<aar::kube::WatchEvent> whole_events;
  const bool whole_ok = whole.feed(stream, &whole_events).ok();
  if (pieces_ok && whole_ok && piece_events.size() != whole_events.size()) std::abort();

  (void)aar::kube::decodeWatchEvent(stream);
  return 0;
}
