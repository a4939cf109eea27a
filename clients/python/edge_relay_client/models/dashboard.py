from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.missing_part import MissingPart
    from ..models.todo import Todo
    from ..models.user import User


T = TypeVar("T", bound="Dashboard")


@_attrs_define
class Dashboard:
    """The merged answer: every part, or those that could be had and why the others could not

    Attributes:
        missing (list[MissingPart]): The parts of a merged answer that could not be had, each with the problem that
            stood in its
            way; the answer itself is still a 200 with what the other parts gave.
        todos (list[Todo] | None | Unset):
        user (None | Unset | User):
    """

    missing: list[MissingPart]
    todos: list[Todo] | None | Unset = UNSET
    user: None | Unset | User = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.user import User  # noqa: PLC0415

        missing = []
        for componentsschemas_missing_item_data in self.missing:
            componentsschemas_missing_item = componentsschemas_missing_item_data.to_dict()
            missing.append(componentsschemas_missing_item)

        todos: list[dict[str, Any]] | None | Unset
        if isinstance(self.todos, Unset):
            todos = UNSET
        elif isinstance(self.todos, list):
            todos = []
            for todos_type_0_item_data in self.todos:
                todos_type_0_item = todos_type_0_item_data.to_dict()
                todos.append(todos_type_0_item)

        else:
            todos = self.todos

        user: dict[str, Any] | None | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        elif isinstance(self.user, User):
            user = self.user.to_dict()
        else:
            user = self.user

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "missing": missing,
            }
        )
        if todos is not UNSET:
            field_dict["todos"] = todos
        if user is not UNSET:
            field_dict["user"] = user

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.missing_part import MissingPart  # noqa: PLC0415
        from ..models.todo import Todo  # noqa: PLC0415
        from ..models.user import User  # noqa: PLC0415

        d = dict(src_dict)
        missing = []
        _missing = d.pop("missing")
        for componentsschemas_missing_item_data in _missing:
            componentsschemas_missing_item = MissingPart.from_dict(componentsschemas_missing_item_data)

            missing.append(componentsschemas_missing_item)

        def _parse_todos(data: object) -> list[Todo] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                todos_type_0 = []
                _todos_type_0 = data
                for todos_type_0_item_data in _todos_type_0:
                    todos_type_0_item = Todo.from_dict(todos_type_0_item_data)

                    todos_type_0.append(todos_type_0_item)

                return todos_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Todo] | None | Unset, data)

        todos = _parse_todos(d.pop("todos", UNSET))

        def _parse_user(data: object) -> None | Unset | User:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_type_1 = User.from_dict(data)

                return user_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | User, data)

        user = _parse_user(d.pop("user", UNSET))

        dashboard = cls(
            missing=missing,
            todos=todos,
            user=user,
        )

        dashboard.additional_properties = d
        return dashboard

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
