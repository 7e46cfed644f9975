"""A person as a request sees them: cshub's id for them and what their token said."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    issuer: str
    subject: str
    email: str | None
    display_name: str | None

    @property
    def label(self) -> str:
        """How writes name them: display name, else email, else the subject."""
        return self.display_name or self.email or self.subject
