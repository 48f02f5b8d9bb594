#include "kube/kubeconfig.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "kube/encoding.hpp"

namespace aar::kube {
namespace {

// Errors name the file and the field; values are never quoted (a user entry may hold a token).
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    auto slash = path.rfind('/');
    dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  }

  Error error(const std::string& field, const std::string& what) const {
    return makeError(ErrorKind::kInvalidArgument, path_ + ": " + field + ": " + what);
  }

  // A named entry of clusters/users/contexts.
  Result<YAML::Node> findNamed(const YAML::Node& root, const char* list, const char* inner,
                               const std::string& name) const {
    const YAML::Node seq = root[list];
    if (!seq || seq.IsNull()) return error(list, "missing (looking for \"" + name + "\")");
    if (!seq.IsSequence()) return error(list, "not a list");
    for (const auto& item : seq) {
      if (!item.IsMap()) continue;
      const YAML::Node n = item["name"];
      if (n && n.IsScalar() && n.Scalar() == name) {
        const YAML::Node body = item[inner];
        if (!body || body.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!body.IsMap()) return error(std::string(list) + "[\"" + name + "\"]." + inner, "not a map");
        return body;
      }
    }
    return error(list, "no entry named \"" + name + "\"");
  }

  Result<std::string> str(const YAML::Node& map, const char* key, const std::string& where) const {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return std::string();
    if (!n.IsScalar()) return error(where + "." + key, "not a string");
    return n.Scalar();
  }

  Result<bool> boolean(const YAML::Node& map, const char* key, const std::string& where) const {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) return false;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) return error(where + "." + key, "not a boolean");
    return v;
  }

  std::string resolve(const std::string& p) const {
    if (p.empty() || p[0] == '/') return p;
    if (p.size() >= 2 && p[0] == '~' && p[1] == '/') return p;  // kubectl does not expand ~ either
    return dir_ + "/" + p;
  }

  // A -data field (base64) or a file field; data wins, as client-go's loader does.
  Result<std::string> dataOrFile(const YAML::Node& map, const char* data_key, const char* file_key,
                                 const std::string& where) const {
    auto data = str(map, data_key, where);
    if (!data) return data.error();
    if (!data->empty()) {
      auto decoded = base64Decode(*data);
      if (!decoded) return error(where + "." + data_key, "not valid base64");
      return *decoded;
    }
    auto file = str(map, file_key, where);
    if (!file) return file.error();
    if (file->empty()) return std::string();
    auto text = readFileText(resolve(*file), path_ + ": " + where + "." + file_key);
    if (!text) return text.error();
    return *text;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string dir_;
};

Result<ExecConfig> parseExec(const Reader& r, const YAML::Node& exec, const std::string& where) {
  if (!exec.IsMap()) return r.error(where, "not a map");
  ExecConfig out;
  auto api = r.str(exec, "apiVersion", where);
  if (!api) return api.error();
  if (*api != kExecApiV1 && *api != kExecApiV1beta1) {
    return r.error(where + ".apiVersion", "\"" + *api + "\" is not " + std::string(kExecApiV1) + " or " +
                                              std::string(kExecApiV1beta1));
  }
  out.api_version = *api;
  auto cmd = r.str(exec, "command", where);
  if (!cmd) return cmd.error();
  if (cmd->empty()) return r.error(where + ".command", "missing");
  out.command = cmd->find('/') != std::string::npos ? r.resolve(*cmd) : *cmd;
  if (const YAML::Node args = exec["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) return r.error(where + ".args", "not a list");
    for (const auto& a : args) {
      if (!a.IsScalar()) return r.error(where + ".args", "not a list of strings");
      out.args.push_back(a.Scalar());
    }
  }
  if (const YAML::Node env = exec["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) return r.error(where + ".env", "not a list");
    for (const auto& e : env) {
      const YAML::Node name = e.IsMap() ? e["name"] : YAML::Node();
      const YAML::Node value = e.IsMap() ? e["value"] : YAML::Node();
      if (!name || !name.IsScalar() || name.Scalar().empty() ||
          (value && !value.IsNull() && !value.IsScalar())) {
        return r.error(where + ".env", "each entry needs a name and a string value");
      }
      out.env.emplace_back(name.Scalar(), value && value.IsScalar() ? value.Scalar() : "");
    }
  }
  auto pci = r.boolean(exec, "provideClusterInfo", where);
  if (!pci) return pci.error();
  out.provide_cluster_info = *pci;
  auto hint = r.str(exec, "installHint", where);
  if (!hint) return hint.error();
  out.install_hint = *hint;
  auto mode = r.str(exec, "interactiveMode", where);
  if (!mode) return mode.error();
  if (*mode == "Always") {
    return r.error(where + ".interactiveMode", "Always needs a terminal; a controller never has one");
  }
  return out;
}

// The cluster named `cluster_name`: its https server and how to verify it, into `config`.
Status parseCluster(const Reader& r, const YAML::Node& root, const std::string& cluster_name,
                    ConnectionConfig& config) {
  auto cluster = r.findNamed(root, "clusters", "cluster", cluster_name);
  if (!cluster) return cluster.error();
  const std::string cl_where = "clusters[\"" + cluster_name + "\"].cluster";
  auto server = r.str(*cluster, "server", cl_where);
  if (!server) return server.error();
  if (server->empty()) return r.error(cl_where + ".server", "missing");
  const size_t scheme_end = server->find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : server->substr(0, scheme_end);
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme == "http") {
    // A bearer token or client key would cross the network in clear, and nothing proves who answers.
    return r.error(cl_where + ".server", "\"" + *server + "\" is plain http: cluster \"" + cluster_name +
                                             "\" must be reached over https");
  }
  if (scheme != "https") return r.error(cl_where + ".server", "\"" + *server + "\" is not an https URL");
  config.server = *server;
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  auto insecure = r.boolean(*cluster, "insecure-skip-tls-verify", cl_where);
  if (!insecure) return insecure.error();
  config.insecure_skip_tls_verify = *insecure;
  auto ca = r.dataOrFile(*cluster, "certificate-authority-data", "certificate-authority", cl_where);
  if (!ca) return ca.error();
  config.ca_pem = *ca;
  if (!config.ca_pem.empty() && config.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return r.error(cl_where + ".certificate-authority", "holds no PEM certificate");
  }
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    // As kubectl (client-go) refuses: "specifying a root certificates file with the insecure flag is not
    // allowed". A CA says "verify against this", the flag says "verify nothing": one of them is a mistake.
    return r.error(cl_where + ".insecure-skip-tls-verify",
                   "true together with a certificate authority (certificate-authority or "
                   "certificate-authority-data) for cluster \"" +
                       cluster_name + "\": a CA with the insecure flag is not allowed; remove one of them");
  }
  return Status::Ok();
}

// The user named `user_name`: a token (or token file), a client certificate and key, or exec, into `config`.
Status parseUser(const Reader& r, const YAML::Node& root, const std::string& user_name,
                 ConnectionConfig& config) {
  auto user = r.findNamed(root, "users", "user", user_name);
  if (!user) return user.error();
  const std::string u_where = "users[\"" + user_name + "\"].user";
  for (const char* unsupported : {"auth-provider", "username", "password"}) {
    if (const YAML::Node n = (*user)[unsupported]; n && !n.IsNull()) {
      return r.error(u_where + "." + unsupported, "not supported; use a token, a client certificate or exec");
    }
  }
  auto token = r.str(*user, "token", u_where);
  if (!token) return token.error();
  config.auth.token = *token;
  auto token_file = r.str(*user, "tokenFile", u_where);
  if (!token_file) return token_file.error();
  if (config.auth.token.empty() && !token_file->empty()) {
    config.auth.token_file = r.resolve(*token_file);
    auto probe = readFileText(config.auth.token_file, r.path() + ": " + u_where + ".tokenFile");
    if (!probe) return probe.error();
  }
  auto cert = r.dataOrFile(*user, "client-certificate-data", "client-certificate", u_where);
  if (!cert) return cert.error();
  auto key = r.dataOrFile(*user, "client-key-data", "client-key", u_where);
  if (!key) return key.error();
  if (cert->empty() != key->empty()) {
    return r.error(u_where, cert->empty() ? "client-key given without client-certificate"
                                          : "client-certificate given without client-key");
  }
  config.auth.client_cert_pem = *cert;
  config.auth.client_key_pem = *key;
  if (const YAML::Node exec = (*user)["exec"]; exec && !exec.IsNull()) {
    auto e = parseExec(r, exec, u_where + ".exec");
    if (!e) return e.error();
    config.auth.exec = std::move(*e);
  }
  return Status::Ok();
}

Result<ConnectionConfig> parse(const Reader& r, const YAML::Node& root, const std::string& wanted_context) {
  if (!root.IsMap()) return r.error("(top level)", "not a kubeconfig (not a map)");
  std::string context_name = wanted_context;
  if (context_name.empty()) {
    auto cur = r.str(root, "current-context", "");
    if (!cur) return cur.error();
    if (cur->empty()) return r.error("current-context", "not set and no --context given");
    context_name = *cur;
  }
  auto ctx = r.findNamed(root, "contexts", "context", context_name);
  if (!ctx) return ctx.error();
  const std::string ctx_where = "contexts[\"" + context_name + "\"].context";
  auto cluster_name = r.str(*ctx, "cluster", ctx_where);
  if (!cluster_name) return cluster_name.error();
  if (cluster_name->empty()) return r.error(ctx_where + ".cluster", "missing");
  auto user_name = r.str(*ctx, "user", ctx_where);
  if (!user_name) return user_name.error();
  auto ns = r.str(*ctx, "namespace", ctx_where);
  if (!ns) return ns.error();

  ConnectionConfig config;
  config.namespace_name = *ns;
  config.source = "kubeconfig " + r.path() + ", context " + context_name;

  if (auto s = parseCluster(r, root, *cluster_name, config); !s.ok()) return s.error();
  if (user_name->empty()) return config;  // anonymous
  if (auto s = parseUser(r, root, *user_name, config); !s.ok()) return s.error();
  return config;
}

}  // namespace

Result<ConnectionConfig> parseKubeconfig(std::string_view yaml, const std::string& path,
                                         const std::string& context) {
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return makeError(ErrorKind::kInvalidArgument,
                     path + ": not valid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  try {
    return parse(r, root, context);
  } catch (const YAML::Exception& e) {
    return makeError(ErrorKind::kInvalidArgument, path + ": unexpected structure: " + e.msg);
  }
}

Result<ConnectionConfig> loadKubeconfig(const std::string& path, const std::string& context) {
  auto text = readFileText(path, "kubeconfig");
  if (!text) return text.error();
  return parseKubeconfig(*text, path, context);
}

}  // namespace aar::kube
