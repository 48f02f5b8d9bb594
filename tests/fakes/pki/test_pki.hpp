// TestPki: a complete, throw-away PKI for TLS tests, generated in memory when a test starts.
//
// - ca: a self-signed CA (key usage certSign/cRLSign, basicConstraints CA:TRUE).
// - server: signed by ca, for 127.0.0.1 and localhost (subjectAltName IP and DNS), extendedKeyUsage
// serverAuth.
// - client: signed by ca, extendedKeyUsage clientAuth; subject CN = Kubernetes user name, O = its groups.
// - other_ca: an unrelated CA, to prove that a peer signed by `ca` is refused when only other_ca is trusted.
// Keys are ECDSA P-256, signatures SHA-256; certificates are valid from one hour ago for 30 days.
//
// Nothing is read from or written to disk unless writeTo()/PkiDir is used. Failures throw std::runtime_error
// (this is test support: a test that cannot build its PKI should fail loudly).
//
// Thread-safety: generate() is safe to call from several threads; the values are plain strings.
#pragma once

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace aar::testing {

struct Pem {
  std::string cert;  // PEM "CERTIFICATE"
  std::string key;   // PEM "PRIVATE KEY" (PKCS#8, unencrypted)
};

struct TestPkiOptions {
  std::string client_common_name = "test-admin";                       // Kubernetes user name
  std::vector<std::string> client_organizations = {"system:masters"};  // Kubernetes groups
};

struct TestPki {
  Pem ca, server, client, other_ca;

  static TestPki generate(const TestPkiOptions& options = {});

  // A further client certificate signed by `ca` (e.g. a second user with other groups).
  Pem issueClient(const std::string& common_name, const std::vector<std::string>& organizations) const;

  // Writes ca.crt, ca.key, server.crt, server.key, client.crt, client.key, other-ca.crt and other-ca.key
  // into the existing directory `dir` (keys with mode 0600).
  void writeTo(const std::string& dir) const;
};

// A fresh directory under $TMPDIR (or /tmp) holding the PKI's files; removed with everything in it on
// destruction. path("server.crt") names a file in it.
class PkiDir {
 public:
  explicit PkiDir(const TestPki& pki);
  PkiDir(const PkiDir&) = delete;
  PkiDir& operator=(const PkiDir&) = delete;

  const std::string& dir() const { return dir_.path(); }
  std::string path(const std::string& file) const { return dir_.file(file); }

 private:
  aar::test::TempDir dir_;
};

}  // namespace aar::testing
