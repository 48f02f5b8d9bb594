// MassRemovalGuard: decides whether a cycle may write a plan that removes most of the managed entries.
//
// Why: a listing that succeeds but is empty or from the wrong account (a mistaken AWS_ENDPOINT_URL_IAM, a
// credential chain that fell through to the node role) would otherwise remove every managed entry in one
// write. A real mass expiry is not urgent to apply; a bad listing usually does not last.
//
// A plan is a mass removal when more than Options::min_managed entries were managed before it and it removes
// more than half of them. A mass removal is held (not written) until the same set of removed ARNs has been
// computed in Options::confirmations consecutive evaluations; a different set restarts the count, and a plan
// that is not a mass removal forgets it. With Options::allow, every plan proceeds (--allow-mass-removal).
// The caller evaluates once per computed plan and calls applied() after writing one, so the next mass
// removal starts from zero.
//
// Thread-safety: none; the controller uses it from its cycle thread only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace aar::controller {

class MassRemovalGuard {
 public:
  struct Options {
    size_t min_managed = 10;  // Default: 10. The guard acts only when MORE than this many were managed.
    int confirmations = 3;    // Default: 3. Consecutive evaluations of one set before it proceeds.
    bool allow = false;       // Default: false. --allow-mass-removal: never hold.
  };

  struct Decision {
    bool mass = false;   // the plan removes more than half of more than min_managed entries
    bool hold = false;   // do not write this plan
    int seen = 0;        // consecutive evaluations of this set so far, this one included (mass only)
    int required = 0;    // Options::confirmations
    size_t removed = 0;  // entries the plan removes
    size_t managed = 0;  // entries managed before the plan
  };

  MassRemovalGuard() : MassRemovalGuard(Options{}) {}
  explicit MassRemovalGuard(Options options) : options_(options) {}

  // `managed_before`: managed entries before the plan; `removed_arns`: the ARNs it removes (any order).
  Decision evaluate(size_t managed_before, std::vector<std::string> removed_arns);
  // The plan was written (or nothing is pending any more): forget the held set.
  void applied();
  // True while a mass removal is being held (seen at least once, not yet applied).
  bool holding() const { return seen_ > 0; }

 private:
  Options options_;
  std::vector<std::string> pending_;  // sorted ARNs of the held set
  int seen_ = 0;
};

}  // namespace aar::controller
