// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
//
// - The constructor creates <tmp>/<prefix>-XXXXXX with mkdtemp (mode 0700, so the keys and kubeconfigs tests
//   write there are private) and throws std::runtime_error when it cannot.
// - The destructor removes the tree and ignores errors (a test that already failed must not abort the run).
//
// Thread-safety: const members may be called from any thread; write() to the same name concurrently is a race
// on that file, as with any file.
#pragma once

#include <string>
#include <string_view>

namespace aar::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "aar-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // <dir>/<name>; nothing is created.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes (or replaces) <dir>/<name>, creating parent directories, owner-executable when `executable`, and
  // returns its path. Throws std::runtime_error when the file cannot be written.
  std::string write(const std::string& name, const std::string& content, bool executable = false) const;

 private:
  std::string path_;
};

}  // namespace aar::test
