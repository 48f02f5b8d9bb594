// A small, independent model of how aws-iam-authenticator reads kube-system/aws-auth, used as the oracle of
// the reconcile property test, the reconcile fuzz target and the end-to-end tests. It shares no code with
// src/core's codec or reconcile (it parses with yaml-cpp and resolves scalars itself), so a mistake in how
// the core classifies entries cannot hide itself here.
//
// The rules modelled (kubernetes-sigs/aws-iam-authenticator, pkg/mapper/configmap/configmap.go):
//   - ParseMap: each of mapUsers / mapRoles is skipped when blank ("", "``" or "\"\"" after trimming);
//     otherwise it goes through utilyaml.ToJSON (sigs.k8s.io/yaml: go-yaml v2 into interface{}, YAML 1.1
//     scalars, a repeated key keeps its last value, the map turned into a JSON object whose keys json.Marshal
//     sorts by bytes) and then encoding/json.Unmarshal into []config.UserMapping / []config.RoleMapping
//     (fields `userarn` / `rolearn`, `username`, `groups`).
//   - encoding/json: an object key sets the field whose name it equals case-insensitively (ASCII folding plus
//     U+017F -> s and U+212A -> k); keys are applied in order, so a later key overwrites an earlier one. JSON
//     null leaves a string unchanged and sets a slice to nil. A value of the wrong type (a number or boolean
//     where a string belongs, ...) is an error, but decoding goes on and the field keeps its value: the
//     result is partial and an error is returned.
//   - startLoadConfigMap: "Only saving data that was good": saveMap is called with whatever decoded, even on
//     error. A YAML syntax error, or a key that cannot be a JSON key, loses that whole value.
//   - saveMap: ms.users[strings.ToLower(user.UserARN)] = user, in list order, so the last entry for a
//     lower-cased ARN wins; the same for roles by RoleARN.
//
// Not modelled, where yaml-cpp and go-yaml disagree (callers skip such input): the name of a YAML anchor
// (go-yaml ends it at the first character that is not alphanumeric, '-' or '_', yaml-cpp at a blank) and the
// line breaks other than LF and CRLF (src/core refuses those; see yaml::ambiguousLineBreak).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aar::testmodel {

struct Mapping {
  std::string arn;  // as written (the map key is its lower-case form)
  std::string username;
  std::vector<std::string> groups;

  bool operator==(const Mapping&) const = default;
};

struct AuthenticatorView {
  std::map<std::string, Mapping> users;  // lower(userarn) -> the entry in force
  std::map<std::string, Mapping> roles;  // lower(rolearn) -> the entry in force
  // What aws-iam-authenticator would log as "error parsing config map"; the maps above then hold the partial
  // result it keeps.
  std::vector<std::string> errors;

  bool parsed() const { return errors.empty(); }
};

// Reads the data of an aws-auth ConfigMap (mapUsers, mapRoles; other keys ignored).
AuthenticatorView readAwsAuth(const std::map<std::string, std::string>& data);

// The case folding of encoding/json's field matching, exposed for tests: does `key` name the lower-case ASCII
// field `field`?
bool jsonFieldMatches(const std::string& key, const std::string& field);

}  // namespace aar::testmodel
