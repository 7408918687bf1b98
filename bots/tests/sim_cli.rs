//! `dvorik sim` as a newcomer tries it: a scripted terminal session through stdin.

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn a_newcomer_starts_subscribes_and_saves_the_qr_of_their_code_in_the_terminal() {
    let dir = std::env::temp_dir().join(format!("dvorik-sim-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dvorik"))
        .current_dir(&dir)
        .args(["sim", "--addr", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("DVORIK_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let script =
        ":user 3003 Vera en\n/start\n/subscribe\n/discounts\n:press 1\n:bot staff\n/start\n:quit\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("Hello, Vera!"), "{out}");
    assert!(out.contains("keyboard: 🎁 My discounts"), "{out}");
    assert!(out.contains("welcome discount: 10%"), "{out}");
    assert!(out.contains("You have 1 active discount:"), "{out}");
    let saved = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("(photo saved to "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no picture saved: {out}"));
    let png = std::fs::read(dir.join(saved)).unwrap();
    let code = dvorik_bots::qr::decode(&png).expect("the saved picture is a QR code");
    assert!(
        out.contains(&format!("{}-{}", &code[..5], &code[5..])),
        "the QR carries the code shown: {out}"
    );
    assert!(
        out.contains("please register"),
        "the staff bot answers too: {out}"
    );
    assert!(!out.contains("violations"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}
