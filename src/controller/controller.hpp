// Controller: the level-triggered loop that keeps aws-auth's managed mapUsers and mapRoles entries in step
// with IAM.
//
// A cycle is told only "something may have changed". It reads the whole current state — the rules, every IAM
// principal the rules need in each account (PrincipalSource: users; roles only for mapRoles rules; GetGroup
// only for the groups rules name; each listing whole or an error), aws-auth — asks the pure core what
// aws-auth must hold, and writes only when that differs, carrying aws-auth's resourceVersion.
//
// Accounts: the own account's listing failing fails the cycle (nothing written). A further account's listing
// failing freezes that account's managed entries (core::IamSnapshot::frozen_accounts) while the rest is
// reconciled; it is logged, posted as a Warning Event "AccountListingFailed", counted per account, and the
// report is `partial` (not a success). An IAM group that no listed account has is a configuration error of
// the rules naming it (InvalidRules, config_valid=0); the valid rules before them stay in effect. On a
// conflict it re-reads aws-auth from the API server and recomputes (ControllerOptions::max_conflict_retries
// times at most). aws-auth missing: it is created holding only our entries, unless create_aws_auth is false.
//
// Idle cycles: a cycle that finds nothing to change remembers what it read (the rules in effect, the ARN
// list, aws-auth's resourceVersion). The next cycle that reads exactly the same skips the core — reconcile is
// a pure function of those inputs, so its answer would again be "no change" — and costs little more than the
// IAM listing. Any difference (one ARN, a rules edit, any write to aws-auth) runs the core as usual.
//
// Rules: the mapUsers, mapRoles and accounts keys, parsed (core::parseRulesConfig) only when their text
// changes. Invalid rules are reported (log, Event, config_valid=0) and the last valid rules since start stay
// in effect; with none, the cycle fails and nothing is written. A missing rules ConfigMap, or neither a
// mapUsers nor a mapRoles key, changes nothing (the cycle fails with a warning). `[]` manages nothing.
//
// Cycles run at start, every refresh interval, on trigger() (coalesced) and, with backoff after failures, as
// Scheduler describes. One cycle at a time.
//
// Own writes: the controller alone remembers what it wrote. Its echo through the watch does not trigger a
// cycle (awsAuthObserved compares with what the last cycle left). A read that still shows the version our
// last write replaced (the watch cache lags) is answered with what we wrote, so the cycle neither recomputes
// from stale data nor provokes a needless 409; any other version ends that memory.
//
// Mass removals: a plan that removes more than half of more than 10 managed entries is held, not written
// (additions and updates of that cycle too), until the same removals have been computed in 3 consecutive
// cycles, or at once with allow_mass_removal; see MassRemovalGuard. A held cycle is logged, counted
// (aws_auth_refresher_mass_removal_held, ..._held_cycles_total), reported as a Warning Event
// "MassRemovalHeld" and is not a success (runCycle() for --once fails), but it waits one refresh interval,
// not a backoff, before the next cycle.
//
// Ownership: the controller remembers how many entries the ownership record listed after its last cycle.
// When a later read finds the record gone, bound to another object, or listing fewer entries without our
// having written that, it logs, counts (aws_auth_refresher_ownership_record_lost_total{reason}) and posts a
// Warning Event "OwnershipRecordLost" through ControllerPorts::aws_auth_events. The core already treats the
// entries it can no longer prove ours as hand-written. A cycle skipped for want of leadership forgets the
// count (another replica may write meanwhile).
//
// Liveness: healthy() is false when a cycle has been running, or has been due without starting, for longer
// than livenessWindow() = max(3 x refresh interval, 60 s) since run() began, so a stuck loop is restarted.
// A running access-entries cycle counts from its last completed EKS call instead (a start-up at 3,000
// entries makes thousands of calls and is not stuck).
//
// Backends (ControllerOptions::backend, issue #13): kAwsAuth (default) writes aws-auth as above. With
// kAccessEntries or kAuto each cycle, after the rules and IAM (same steps, same failures), asks the cluster's
// authentication mode (AccessEntryStore::authenticationMode; a failure fails the cycle, nothing written):
//   - CONFIG_MAP: kAuto runs the aws-auth cycle above; kAccessEntries fails the cycle (log, Warning Event
//     "AuthenticationModeConfigMap", aws_auth_refresher_access_entries_errors_total{reason=mode_config_map}),
//     and calls nothing that writes;
//   - API: one AccessEntriesBackend pass; aws-auth is neither read nor written;
//   - API_AND_CONFIG_MAP: aws-auth is read first; the ARNs of its hand-written entries get no access entry.
//     After the pass, the entries are listed again and those of our aws-auth entries whose access entry now
//     is exactly the desired one (core::awsAuthArnsToRemove) leave aws-auth (migration, make before break):
//     aws-auth is reconciled as above but with the IAM snapshot cut down to the principals that keep a
//     managed aws-auth entry, so no entry is added, hand-written ones are untouched, and the mass-removal
//     guard applies.
// A pass that could not do everything (a failed call, the entry limit) is not a success: runCycle() for
// --once fails, the next cycle comes after a backoff.
//
// Leadership: when ControllerOptions::may_write is set, a cycle runs only while it returns true, and it is
// asked again just before writing, so a leader that lost its lease does not write.
//
// Thread-safety: run() on one thread; stop(), trigger(), rulesChanged(), awsAuthObserved() and synced() from
// any thread. runCycle() must not be called while run() is running (it is for --once).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "controller/access_entries_backend.hpp"
#include "controller/access_entry_ports.hpp"
#include "controller/controller_metrics.hpp"
#include "controller/mass_removal_guard.hpp"
#include "controller/ports.hpp"
#include "controller/scheduler.hpp"
#include "core/reconcile.hpp"
#include "core/rules.hpp"

namespace aar::controller {

// Which store the rules are written to (--backend).
enum class Backend { kAwsAuth, kAccessEntries, kAuto };
const char* backendName(Backend backend);  // "aws-auth", "access-entries", "auto"
// The inverse of backendName (exact spelling); nullopt for anything else.
std::optional<Backend> parseBackend(std::string_view name);

struct ControllerOptions {
  Backend backend = Backend::kAwsAuth;  // Default: aws-auth. Others need ControllerPorts::access_entries.
  // Access-entries backend: owner tag value (--owner-id) and --allow-cluster-admin-policy.
  std::string owner_id = core::kDefaultAccessEntryOwnerId;  // Default: "aws-auth-refresher".
  bool allow_cluster_admin_policy = false;                  // Default: false.
  // 404 on AssociateAccessPolicy right after our create: retries and first delay (AccessEntriesOptions).
  int associate_retries = 4;                                                    // Default: 4.
  std::chrono::nanoseconds associate_backoff = std::chrono::milliseconds(500);  // Default: 500ms.
  std::chrono::nanoseconds refresh_interval = std::chrono::seconds(15);         // Default: 15s. Must be > 0.
  std::chrono::nanoseconds backoff_initial = std::chrono::seconds(1);           // Default: 1s
  std::chrono::nanoseconds backoff_max = std::chrono::minutes(5);               // Default: 5m
  bool dry_run = false;         // Default: false. Everything but writes; changes are printed instead.
  bool create_aws_auth = true;  // Default: true. Create aws-auth when it does not exist.
  // Default: false. Take over unmanaged entries exactly as their rule writes them (core::ReconcileOptions).
  bool adopt_matching_entries = false;
  int max_conflict_retries = 5;  // Default: 5. Re-reads after a 409 before the cycle gives up.
  // Default: false. Write a mass removal at once instead of holding it (--allow-mass-removal).
  bool allow_mass_removal = false;
  // Leadership. Default: null, meaning this process always may write (no leader election).
  std::function<bool()> may_write;
  // Where --dry-run prints the changes it would make. Default: null (logged only).
  std::ostream* dry_run_out = nullptr;
};

struct ControllerPorts {
  PrincipalSource& principals;
  RulesSource& rules;
  AwsAuthStore& aws_auth;
  EventSink& events;           // Events about the rules ConfigMap
  EventSink& aws_auth_events;  // Events about aws-auth (ownership record lost)
  base::Clock& clock;          // monotonic time of the schedule; the loop waits with clock.waitUntil
  // EKS access entries; required when ControllerOptions::backend is not kAwsAuth (else every cycle fails
  // with kInternal). Default: null.
  AccessEntryStore* access_entries = nullptr;
};

struct CycleReport {
  bool success = false;
  bool skipped = false;               // not the leader: nothing read, nothing written
  bool wrote = false;                 // aws-auth was created or updated
  bool inputs_unchanged = false;      // read what the last up-to-date cycle read: the core was not asked
  bool held = false;                  // a mass removal was computed and held: nothing written (not success)
  std::vector<core::Change> changes;  // applied (or, in dry-run, that would have been)
  // Some listed accounts could not be listed: their entries were left as they were, the rest was reconciled
  // (and maybe written). Not a success (--once exits 1; the next cycle comes after a backoff), but it counts
  // as synced. frozen_accounts names them.
  bool partial = false;
  std::vector<std::string> frozen_accounts;
  std::optional<Error> error;
  // The access-entries backend ran this cycle (backend kAccessEntries, or kAuto in an API mode).
  bool access_entries = false;
  std::vector<core::AccessEntryOperation> access_entry_calls;  // succeeded EKS calls (dry run: planned)
  std::vector<std::string> migrated;  // API_AND_CONFIG_MAP: ARNs our aws-auth entries left for access entries
};

class Controller {
 public:
  // metrics may be null.
  Controller(ControllerPorts ports, ControllerOptions options, ControllerMetrics* metrics);
  // Takes back the progress callback it gave ports.access_entries.
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Runs one cycle now, synchronously.
  CycleReport runCycle();

  // Runs cycles until stop(). Returns after the cycle in progress (whose requests the caller cancels) ends.
  void run();
  void stop();
  bool stopping() const;

  // Something may have changed: run a cycle soon (coalesced with other triggers; waits out a backoff).
  void trigger(std::string_view reason);
  // The rules ConfigMap changed: run a cycle now, even during a backoff.
  void rulesChanged();
  // The watch saw aws-auth (nullopt: deleted). Triggers a cycle only if mapUsers, mapRoles or an ownership
  // record is not what the last cycle left there, so our own writes never trigger cycles.
  void awsAuthObserved(const std::optional<core::ConfigMapContent>& content);

  // True once a cycle has succeeded since start (readiness).
  bool synced() const;
  // Cycles run so far (including skipped ones).
  int cyclesRun() const;
  // When run() starts its next cycle (clock.now() time; in the past: at once). A trigger moves it to now or
  // to the end of a backoff; tests read it to see that something did NOT schedule a cycle.
  std::chrono::steady_clock::time_point nextCycleAt() const;

  // Liveness (/healthz): false, with the reason, when since run() began a cycle has been running, or has been
  // due without starting, for longer than livenessWindow(). True before run() (waiting for the caches).
  struct Liveness {
    bool ok = true;
    bool cycle_running = false;  // a cycle of run() is in progress
    std::string reason;          // why not ok
  };
  Liveness liveness() const;
  // max(kLivenessIntervals x refresh interval, kLivenessMinimum).
  std::chrono::nanoseconds livenessWindow() const;
  static constexpr int kLivenessIntervals = 3;
  static constexpr std::chrono::seconds kLivenessMinimum{60};

 private:
  struct Fingerprint {
    bool exists = false;
    std::string map_users, managed_users, map_roles, managed_roles;
    bool operator==(const Fingerprint&) const = default;
  };
  static Fingerprint fingerprintOf(const std::optional<core::ConfigMapContent>& content);

  // Valid rules and the generation that counts them (for the idle-cycle check).
  struct ValidRules {
    core::RulesConfig config;
    std::uint64_t generation = 0;
  };
  // A listed account that failed this cycle: its entries are frozen.
  struct AccountFailure {
    std::string account_id;
    Error error;
  };
  // The IAM side of a cycle: what reconcile gets, and under which rules.
  struct IamInputs {
    const ValidRules* rules = nullptr;
    core::IamSnapshot snapshot;
    std::vector<AccountFailure> failures;
    std::vector<std::string> key;  // a flat rendering of snapshot, to compare with the last idle cycle
  };
  struct AccountResult {
    std::string account_id;  // empty for the own account
    Result<AccountListing> listing;
  };

  // The cycle in named steps: cycle() reads the inputs (resolveRules, listIam, aws-auth), reconcileAndWrite()
  // computes and writes (re-reading after a conflict), plan() asks the core, upToDate()/held()/applied()
  // report how it ended, and withAccountFailures() marks a cycle with frozen accounts as not complete.
  CycleReport cycle();
  CycleReport skipCycle();
  Result<const ValidRules*> resolveRules();
  void parseRules(const RulesSnapshot& snap);
  // On failure `reason` is the Event reason: ListUsersFailed (own account) or InvalidRules (missing group).
  Result<IamInputs> listIam(const ValidRules& newest, std::string_view& reason);
  std::vector<AccountResult> listAccounts(const AccountQuery& query, const core::RulesConfig& rules);
  // Groups among `groups` that no successful listing knows (missing in every account listed).
  static std::vector<std::string> missingGroups(const std::vector<std::string>& groups,
                                                const std::vector<AccountResult>& listings);
  void reportMissingGroups(const ValidRules& rules, const std::vector<std::string>& missing);
  static IamInputs snapshotOf(const ValidRules& rules, std::vector<AccountResult>& listings);
  void reportAccountFailures(const std::vector<AccountFailure>& failures);
  CycleReport reconcileAndWrite(const IamInputs& iam, std::optional<AwsAuthObject> obj);
  Result<core::ReconcileResult> plan(const IamInputs& iam, const std::optional<AwsAuthObject>& obj);
  void reportExpansionFailures(const core::ReconcileResult& rec);
  CycleReport upToDate(const core::ReconcileResult& rec, const IamInputs& iam,
                       std::optional<AwsAuthObject> obj);
  CycleReport held(const core::ReconcileResult& rec);
  CycleReport applied(const core::ReconcileResult& rec, AwsAuthObject written, std::string written_over);
  // `obj` as read, or our own last write when the read still shows the version that write replaced.
  std::optional<AwsAuthObject> actOnOwnWrite(std::optional<AwsAuthObject> obj);
  static CycleReport withAccountFailures(CycleReport report, const std::vector<AccountFailure>& failures);
  CycleReport fail(Error error, std::string_view reason);
  void expect(const std::optional<core::ConfigMapContent>& content);
  void setManagedMetrics(const core::ReconcileResult& rec);
  void reportApplied(const std::vector<core::Change>& changes);
  void printDryRun(const std::vector<core::Change>& changes);
  void printUpToDate();  // --dry-run's line for a cycle that changes nothing
  // Compares the records `rec` read with what the last cycle left (see "Ownership" above), per list.
  void checkOwnership(bool exists, const core::ReconcileResult& rec);
  void checkOwnershipOf(bool exists, core::PrincipalKind kind, const core::KindSummary& summary,
                        std::optional<size_t>& remembered);
  // Asks the mass-removal guard about `rec`; reports and returns true when the plan must be held.
  bool holdMassRemoval(const core::ReconcileResult& rec);

  // The access-entries side (controller_access_entries.cpp).
  // nullopt: the aws-auth cycle runs (backend kAwsAuth, or kAuto in mode CONFIG_MAP).
  std::optional<CycleReport> accessEntriesCycle(const IamInputs& iam);
  CycleReport runAccessEntries(const IamInputs& iam, core::AuthenticationMode mode);
  // Our aws-auth entries and the ARNs of the hand-written ones (lower-cased), as reconcile classifies them.
  struct AwsAuthOwnership {
    std::vector<core::AwsAuthMapping> ours;
    std::vector<std::string> hand_written;
  };
  Result<AwsAuthOwnership> awsAuthOwnership(const core::RulesConfig& rules, const AwsAuthObject& obj) const;
  CycleReport migrate(const IamInputs& iam, const AccessEntriesInputs& in, const AccessEntriesReport& pass,
                      const AwsAuthOwnership& owned, std::optional<AwsAuthObject> obj);
  void noteAccessPoliciesIgnored(const core::RulesConfig& rules);
  // The running cycle completed an EKS call (AccessEntriesOptions::progress); any thread.
  void progressed();

  ControllerPorts ports_;
  ControllerOptions options_;
  ControllerMetrics* metrics_;

  // What the last cycle that found nothing to change read (see "Idle cycles" above).
  struct QuietInputs {
    std::uint64_t rules_generation = 0;
    std::vector<std::string> iam;
    std::string aws_auth_resource_version;
  };
  bool matchesQuietInputs(const IamInputs& iam, const std::optional<AwsAuthObject>& obj) const;

  // Rules cache, touched by the cycle thread only.
  std::optional<core::RulesText> parsed_text_;
  std::optional<Error> parse_error_;
  std::optional<ValidRules> last_valid_;
  // The valid rules before last_valid_: in effect while last_valid_ names an IAM group that does not exist.
  std::optional<ValidRules> previous_valid_;
  std::uint64_t rules_generation_ = 0;  // counts the assignments of last_valid_
  std::string reported_missing_;        // the missing-group report last made (made once per distinct one)
  std::optional<QuietInputs> quiet_;    // cycle thread only
  MassRemovalGuard mass_removal_;       // cycle thread only
  // Entries each record listed after the last cycle (nullopt: not known, e.g. after a skipped cycle).
  std::optional<size_t> remembered_users_;  // cycle thread only
  std::optional<size_t> remembered_roles_;  // cycle thread only
  // Our last write of aws-auth and the resourceVersion it replaced (see "Own writes"); cycle thread only.
  struct OwnWrite {
    AwsAuthObject written;
    std::string over;
  };
  std::optional<OwnWrite> own_write_;
  std::optional<AccessEntriesBackend> access_backend_;  // set when ports.access_entries is; cycle thread only
  bool access_policies_noted_ = false;                  // the aws-auth backend said once it ignores them

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Scheduler scheduler_;
  bool stopping_ = false;
  bool synced_ = false;
  int cycles_ = 0;
  std::optional<Fingerprint> expected_;
  bool loop_started_ = false;                                           // run() began
  std::optional<std::chrono::steady_clock::time_point> cycle_started_;  // a cycle of run() is in progress
  // The last EKS call the running cycle completed (access entries); liveness counts from it.
  std::optional<std::chrono::steady_clock::time_point> cycle_progress_;
};

// "added arn=... username=... groups=[a, b]" — the one-line form used in logs and dry-run output.
std::string describeChange(const core::Change& change);

}  // namespace aar::controller
