"""`/economy report` end to end, and `python -m bot simulate` as an owner runs it."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import CommandNotPermitted
from tests.conftest import FIXTURES
from tests.e2e.harness import live
from tests.replay.test_cli import streakbot

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


async def test_economy_report_for_managers_only(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        admins = h.guild.create_role("Admins", permissions=MANAGE_GUILD)
        await h.start_bot()
        await h.emu.member_update(h.guild, carol, roles=[admins])
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        await h.exchange(alice, bob)
        await h.midnight()
        reply = await h.emu.command(h.guild, h.general, carol, "economy report")
        assert reply.ephemeral
        [embed] = reply.embeds
        fields = {field["name"]: field["value"] for field in embed["fields"]}
        assert fields["Outstanding"].startswith("5 tokens held by 2")
        assert embed["image"]["url"] == "attachment://economy.png"
        [chart] = reply.attachments
        assert chart.data.startswith(b"\x89PNG")
        with pytest.raises(CommandNotPermitted):
            await h.emu.command(h.guild, h.general, alice, "economy report")
        refused = await h.emu.command(
            h.guild, h.general, alice, "economy report", bypass_default_permissions=True
        )
        assert refused.ephemeral
        assert "Manage Server" in refused.content


def test_simulate_projects_the_report_for_a_proposed_config(tmp_path):
    config = tmp_path / "proposed.toml"
    config.write_text("[tokens]\nper_point = 0.5\ntreasury = 5000\n", encoding="utf-8")
    done = streakbot(
        "simulate", "--config", config, FIXTURES / "week.jsonl", "--chart", "out.png", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Minted in the last" in done.stdout
    assert "runway" in done.stdout
    charts = list(tmp_path.glob("out*.png"))
    assert charts
    assert all(chart.read_bytes().startswith(b"\x89PNG") for chart in charts)
    bad = streakbot("simulate", "--config", tmp_path / "missing.toml", FIXTURES / "week.jsonl",
                    cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert "no such file" in bad.stderr
