//! The console's engine task against the sandbox: a blank org is planned, repaired and
//! checked again through the requests the Fields tab sends, and a plan cannot run twice,
//! after a newer one, or on another connection. Case access rides along with each check.

use std::time::Duration;

use moveforce::config::{ConnectionSettings, Flow};
use moveforce::engine::{Command, EngineEvent, Request, RequestId};
use moveforce::salesforce::FieldStatus;
use moveforce::sandbox::{CaseAccess, Sandbox, SandboxConfig, SandboxCredentials, Setup};
use tokio::sync::mpsc;

fn settings(sandbox: &Sandbox) -> ConnectionSettings {
    let creds = SandboxCredentials::default();
    ConnectionSettings {
        login_url: sandbox.base_url(),
        flow: Flow::Password,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        username: creds.username,
        password: creds.password.into(),
        security_token: Default::default(),
        api_version: "62.0".to_owned(),
    }
}

struct Engine {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<EngineEvent>,
    next: RequestId,
    _data: tempfile::TempDir,
}

impl Engine {
    fn start() -> Engine {
        let data = tempfile::tempdir().expect("temp dir");
        let (commands, events) = moveforce::engine::spawn(data.path().join("ledger.sqlite3"));
        Engine {
            commands,
            events,
            next: 1,
            _data: data,
        }
    }

    async fn send(&mut self, request: Request) -> RequestId {
        let id = self.next;
        self.next += 1;
        self.commands
            .send(Command { id, request })
            .await
            .expect("engine takes the command");
        id
    }

    async fn next_event(&mut self) -> EngineEvent {
        tokio::time::timeout(Duration::from_secs(30), self.events.recv())
            .await
            .expect("the engine answers in time")
            .expect("the engine is running")
    }

    async fn connect(&mut self, sandbox: &Sandbox) {
        let id = self.send(Request::Connect(settings(sandbox))).await;
        match self.next_event().await {
            EngineEvent::Connected { id: got, result } => {
                assert_eq!(got, id);
                result.expect("connected");
            }
            other => panic!("expected Connected, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_org_is_planned_repaired_and_checked_again() {
    let sandbox = Sandbox::start(SandboxConfig {
        setup: Setup::Blank,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let mut engine = Engine::start();
    engine.connect(&sandbox).await;

    let check = engine.send(Request::CheckFields).await;
    match engine.next_event().await {
        EngineEvent::FieldsChecked { id, result } => {
            assert_eq!(id, check);
            let checks = result.expect("checked");
            assert!(checks.iter().all(|c| c.status == FieldStatus::Missing));
        }
        other => panic!("expected FieldsChecked, got {other:?}"),
    }
    match engine.next_event().await {
        EngineEvent::CaseAccess { id, problems } => {
            assert_eq!(id, check);
            assert!(problems.is_empty(), "{problems:?}");
        }
        other => panic!("expected CaseAccess, got {other:?}"),
    }

    let plan = engine.send(Request::PlanRepair).await;
    let preview = match engine.next_event().await {
        EngineEvent::RepairPlanned { id, result } => {
            assert_eq!(id, plan);
            result.expect("planned")
        }
        other => panic!("expected RepairPlanned, got {other:?}"),
    };
    // Seven fields, the permission set, its assignment, the grant.
    assert_eq!(preview.steps.len(), 10, "{:#?}", preview.steps);
    assert!(preview.steps[0].starts_with("create ExternalID__c"));
    assert!(preview.manual.is_empty(), "{:?}", preview.manual);
    assert_eq!(preview.checks.len(), 7);
    // Planning writes nothing.
    assert!(sandbox.field_metadata("Team__c").is_none());

    let repair = engine.send(Request::Repair { preview: plan }).await;
    match engine.next_event().await {
        EngineEvent::Repaired { id, result } => {
            assert_eq!(id, repair);
            let (outcomes, checks) = result.expect("repaired");
            assert_eq!(outcomes.len(), 10);
            assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:#?}");
            assert!(
                checks.iter().all(|c| c.status == FieldStatus::Ok),
                "{checks:#?}"
            );
        }
        other => panic!("expected Repaired, got {other:?}"),
    }
    assert!(matches!(
        engine.next_event().await,
        EngineEvent::CaseAccess { id, .. } if id == repair
    ));

    // The plan ran once; it cannot run again.
    let again = engine.send(Request::Repair { preview: plan }).await;
    match engine.next_event().await {
        EngineEvent::Repaired { id, result } => {
            assert_eq!(id, again);
            let reason = result.expect_err("refused");
            assert!(reason.contains("no longer current"), "{reason}");
        }
        other => panic!("expected Repaired, got {other:?}"),
    }

    // Now nothing is left to repair.
    let plan = engine.send(Request::PlanRepair).await;
    match engine.next_event().await {
        EngineEvent::RepairPlanned { id, result } => {
            assert_eq!(id, plan);
            let preview = result.expect("planned");
            assert!(preview.steps.is_empty(), "{:?}", preview.steps);
        }
        other => panic!("expected RepairPlanned, got {other:?}"),
    }
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_refused_when_replaced_or_made_on_another_connection() {
    let sandbox = Sandbox::start(SandboxConfig {
        setup: Setup::Blank,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let mut engine = Engine::start();
    engine.connect(&sandbox).await;

    let first = engine.send(Request::PlanRepair).await;
    assert!(matches!(
        engine.next_event().await,
        EngineEvent::RepairPlanned { result: Ok(_), .. }
    ));
    let second = engine.send(Request::PlanRepair).await;
    assert!(matches!(
        engine.next_event().await,
        EngineEvent::RepairPlanned { result: Ok(_), .. }
    ));
    engine.send(Request::Repair { preview: first }).await;
    match engine.next_event().await {
        EngineEvent::Repaired { result, .. } => {
            let reason = result.expect_err("the older plan is refused");
            assert!(reason.contains("no longer current"), "{reason}");
        }
        other => panic!("expected Repaired, got {other:?}"),
    }

    // A reconnect drops the plan made on the old connection.
    engine.connect(&sandbox).await;
    engine.send(Request::Repair { preview: second }).await;
    match engine.next_event().await {
        EngineEvent::Repaired { result, .. } => {
            let reason = result.expect_err("refused after a reconnect");
            assert!(reason.contains("press f"), "{reason}");
        }
        other => panic!("expected Repaired, got {other:?}"),
    }
    assert!(sandbox.field_metadata("Team__c").is_none());
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_says_what_the_user_may_not_do_with_cases() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    sandbox.set_user_case_access(CaseAccess {
        create: true,
        delete: false,
    });
    let mut engine = Engine::start();
    engine.connect(&sandbox).await;
    let check = engine.send(Request::CheckFields).await;
    assert!(matches!(
        engine.next_event().await,
        EngineEvent::FieldsChecked { result: Ok(_), .. }
    ));
    match engine.next_event().await {
        EngineEvent::CaseAccess { id, problems } => {
            assert_eq!(id, check);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("undo would fail"), "{problems:?}");
        }
        other => panic!("expected CaseAccess, got {other:?}"),
    }
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planning_needs_a_connection() {
    let mut engine = Engine::start();
    let id = engine.send(Request::PlanRepair).await;
    match engine.next_event().await {
        EngineEvent::RepairPlanned { id: got, result } => {
            assert_eq!(got, id);
            assert!(result.expect_err("refused").contains("not connected"));
        }
        other => panic!("expected RepairPlanned, got {other:?}"),
    }
    let id = engine.send(Request::Repair { preview: id }).await;
    match engine.next_event().await {
        EngineEvent::Repaired { id: got, result } => {
            assert_eq!(got, id);
            assert!(result.expect_err("refused").contains("not connected"));
        }
        other => panic!("expected Repaired, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_customize_the_plan_is_all_manual() {
    let sandbox = Sandbox::start(SandboxConfig {
        setup: Setup::Blank,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    sandbox.set_user_can_customize(false);
    let mut engine = Engine::start();
    engine.connect(&sandbox).await;
    let plan = engine.send(Request::PlanRepair).await;
    match engine.next_event().await {
        EngineEvent::RepairPlanned { id, result } => {
            assert_eq!(id, plan);
            let preview = result.expect("planned");
            assert!(preview.steps.is_empty(), "{:?}", preview.steps);
            assert_eq!(preview.manual.len(), 1, "{:?}", preview.manual);
            assert!(preview.manual[0].contains("may not change setup"));
            assert!(
                preview.checks.iter().all(|c| {
                    c.status == FieldStatus::Missing && c.detail.contains("cannot tell")
                })
            );
        }
        other => panic!("expected RepairPlanned, got {other:?}"),
    }
    sandbox.stop().await;
}
