import subprocess
import sys
import textwrap


def test_uncaught_exception_is_logged_with_traceback_and_told_in_one_sentence(tmp_path):
    code = textwrap.dedent("""
        from salesapp.logging_setup import install_excepthook
        install_excepthook()
        def deep():
            raise ValueError("boom in deep")
        deep()
    """)
    env = {"SALESAPP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "Something went wrong: ValueError: boom in deep." in proc.stderr
    assert "Traceback" not in proc.stderr
    log_text = (tmp_path / "logs" / "salesapp.log").read_text(encoding="utf-8")
    assert "Traceback" in log_text and "in deep" in log_text
