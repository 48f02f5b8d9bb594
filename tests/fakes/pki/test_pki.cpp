#include "fakes/pki/test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace aar::testing {
namespace {

constexpr long kValidBeforeNowSeconds = 3600;       // tolerate small clock skew between processes
constexpr long kValidForSeconds = 30L * 24 * 3600;  // 30 days

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using CertPtr = std::unique_ptr<X509, X509Deleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: ") + what + " failed");
}

KeyPtr newKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string certPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bioString(bio.get());
}

std::string keyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bioString(bio.get());
}

CertPtr parseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO_new_mem_buf");
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "PEM_read_bio_X509");
  return cert;
}

KeyPtr parseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  check(bio != nullptr, "BIO_new_mem_buf");
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

void addName(X509_NAME* name, const char* field, const std::string& value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(rc == 1, "X509_add_ext");
}

struct Subject {
  std::string common_name;
  std::vector<std::string> organizations;
};

enum class Role { kCa, kServer, kClient };

// Issues a certificate for `key`; self-signed when issuer_cert is null.
CertPtr issue(EVP_PKEY* key, const Subject& subject, Role role, X509* issuer_cert, EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");

  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "RAND_bytes");
  serial_bytes[0] &= 0x7F;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  check(serial != nullptr && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr,
        "serial number");
  BN_free(serial);

  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kValidBeforeNowSeconds) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidForSeconds) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const auto& o : subject.organizations) addName(name, "O", o);
  addName(name, "CN", subject.common_name);
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1, "X509_set_issuer_name");

  addExtension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  if (issuer_cert != nullptr) addExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  switch (role) {
    case Role::kCa:
      addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
      addExtension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
      break;
    case Role::kServer:
      addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
      addExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      addExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
      addExtension(cert.get(), issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
      break;
    case Role::kClient:
      addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
      addExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      addExtension(cert.get(), issuer, NID_ext_key_usage, "clientAuth");
      break;
  }

  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

Pem makeCa(const std::string& common_name) {
  KeyPtr key = newKey();
  CertPtr cert = issue(key.get(), {common_name, {}}, Role::kCa, nullptr, nullptr);
  return {certPem(cert.get()), keyPem(key.get())};
}

Pem makeLeaf(const Pem& ca, const Subject& subject, Role role) {
  CertPtr ca_cert = parseCert(ca.cert);
  KeyPtr ca_key = parseKey(ca.key);
  KeyPtr key = newKey();
  CertPtr cert = issue(key.get(), subject, role, ca_cert.get(), ca_key.get());
  return {certPem(cert.get()), keyPem(key.get())};
}

void writeFile(const std::filesystem::path& path, const std::string& content, bool secret) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("TestPki: cannot write " + path.string());
  if (secret) ::chmod(path.c_str(), 0600);
}

}  // namespace

TestPki TestPki::generate(const TestPkiOptions& options) {
  TestPki pki;
  pki.ca = makeCa("aar-test-ca");
  pki.server = makeLeaf(pki.ca, {"aar-test-server", {}}, Role::kServer);
  pki.client = makeLeaf(pki.ca, {options.client_common_name, options.client_organizations}, Role::kClient);
  pki.other_ca = makeCa("aar-test-other-ca");
  return pki;
}

Pem TestPki::issueClient(const std::string& common_name,
                         const std::vector<std::string>& organizations) const {
  return makeLeaf(ca, {common_name, organizations}, Role::kClient);
}

void TestPki::writeTo(const std::string& dir) const {
  const std::filesystem::path d(dir);
  writeFile(d / "ca.crt", ca.cert, false);
  writeFile(d / "ca.key", ca.key, true);
  writeFile(d / "server.crt", server.cert, false);
  writeFile(d / "server.key", server.key, true);
  writeFile(d / "client.crt", client.cert, false);
  writeFile(d / "client.key", client.key, true);
  writeFile(d / "other-ca.crt", other_ca.cert, false);
  writeFile(d / "other-ca.key", other_ca.key, true);
}

PkiDir::PkiDir(const TestPki& pki) : dir_("aar-pki") { pki.writeTo(dir_.path()); }

}  // namespace aar::testing
