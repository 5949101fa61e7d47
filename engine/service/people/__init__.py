"""People: accounts, their passwords, their grants (a role over a scope), and their management.

`accounts` creates and reads accounts, `passwords` hashes and checks passwords (and locks an
account out after too many wrong ones), `grants` reads the role/scope pairs people type, and
`admin` is the admin page: every field checked, every error named after its field. The viewer a
signed-in person is comes from engine/service/users.py.
"""
